import { z } from 'zod';
import type { CacheShare } from '../cache-share.js';
import type { CallsExport, CostsDashboard } from '../costs.js';
import type { MeasuredWorkload } from '../design-estimate.js';
import type { RoleCostRow } from '../role-costs.js';
import type { TaskSpend } from '../task-spend.js';
import { command } from './define.js';

const missionId = z.string().min(1, 'must not be empty').max(64);
/** Epoch milliseconds. */
const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);

/** The longest window the dashboard's per-minute series covers (a day). */
export const MAX_DASHBOARD_WINDOW_MINUTES = 24 * 60;
export const DEFAULT_DASHBOARD_WINDOW_MINUTES = 60;

export const costsCommands = {
  /**
   * One snapshot of everything the Costs area shows: totals, breakdowns, the per-minute
   * series of the last `windowMinutes` stacked by team, burn rate and projection,
   * latency, errors, throughput, budgets and alerts. All missions unless `missionId`.
   */
  'costs:get-dashboard': command<CostsDashboard>()(
    z
      .object({
        missionId: missionId.optional(),
        windowMinutes: z
          .number()
          .int()
          .min(5)
          .max(MAX_DASHBOARD_WINDOW_MINUTES)
          .default(DEFAULT_DASHBOARD_WINDOW_MINUTES),
      })
      .strict(),
  ),
  /** The calls ledger's rows as CSV (ended in [from, to) when given), newest rows cut at the cap. */
  'costs:export-calls': command<CallsExport>()(
    z
      .object({ missionId: missionId.optional(), from: epochMs.optional(), to: epochMs.optional() })
      .strict()
      .refine((r) => r.from === undefined || r.to === undefined || r.from < r.to, {
        message: 'must be after from',
        path: ['to'],
      }),
  ),
  /** One mission's spend, tokens and calls per task, dearest first, and what no task accounts for. */
  'costs:by-task': command<TaskSpend>()(z.object({ missionId }).strict()),
  /** The cache-read share of input tokens per agent and per model, all time, for one mission or all. */
  'costs:cache-share': command<CacheShare>()(z.object({ missionId: missionId.optional() }).strict()),
  /** "/cost per role": spend, tokens, cost per merged task, first-review approval and rework by role and model; one mission or the recent ones. */
  'costs:by-role': command<RoleCostRow[]>()(z.object({ missionId: missionId.optional() }).strict()),
  /** The workload per role and model measured in the recent missions, for the design estimate. */
  'costs:get-workload': command<MeasuredWorkload[]>()(z.object({}).strict()),
};

export interface CostsEvents {
  /**
   * Calls were recorded (coalesced: a few a second at most). `missionId` is the mission of
   * the latest of them, or null for calls outside any mission; refetch the dashboard.
   */
  'costs:changed': { at: number; missionId: string | null };
}
