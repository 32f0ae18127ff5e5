import type { TaskState } from './mission.js';

/** What one task of a mission cost: every call made for it, by any agent (`costs:by-task`). */
export interface TaskSpendRow {
  taskId: string;
  title: string;
  teamId: string;
  teamName: string;
  state: TaskState;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costNanoUsd: number;
}

/** A mission's spend per task, dearest first, and what no task accounts for (planning, integration). */
export interface TaskSpend {
  missionId: string;
  rows: TaskSpendRow[];
  unattributed: { calls: number; inputTokens: number; outputTokens: number; costNanoUsd: number };
}
