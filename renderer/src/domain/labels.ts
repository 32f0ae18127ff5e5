import type { AgentState, EscalationType, MissionState, TaskState } from '../../../src/shared/mission.js';
import type { AgentRole } from '../../../src/shared/team.js';

/** How a state reads in a badge: words a person uses, and a tone that says whether to look. */
export type Tone = 'neutral' | 'accent' | 'success' | 'warn' | 'danger';

export const MISSION_STATE_LABELS: Record<MissionState, { label: string; tone: Tone }> = {
  draft: { label: 'Draft', tone: 'neutral' },
  planning: { label: 'Planning', tone: 'accent' },
  awaiting_plan_approval: { label: 'Plan awaits approval', tone: 'warn' },
  running: { label: 'Running', tone: 'accent' },
  paused: { label: 'Paused', tone: 'warn' },
  integrating: { label: 'Integrating', tone: 'accent' },
  done: { label: 'Done', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

export const AGENT_STATE_LABELS: Record<AgentState, { label: string; tone: Tone }> = {
  starting: { label: 'Starting', tone: 'neutral' },
  idle: { label: 'Idle', tone: 'neutral' },
  working: { label: 'Working', tone: 'accent' },
  waiting_limiter: { label: 'Rate-limited', tone: 'warn' },
  waiting_tool: { label: 'Running a tool', tone: 'accent' },
  waiting_escalation: { label: 'Awaiting answer', tone: 'warn' },
  done: { label: 'Done', tone: 'success' },
  killed: { label: 'Killed', tone: 'danger' },
  failed: { label: 'Failed', tone: 'danger' },
};

export const TASK_STATE_LABELS: Record<TaskState, { label: string; tone: Tone }> = {
  planned: { label: 'Planned', tone: 'neutral' },
  ready: { label: 'Ready', tone: 'neutral' },
  claimed: { label: 'Claimed', tone: 'accent' },
  in_progress: { label: 'In progress', tone: 'accent' },
  submitted: { label: 'In review', tone: 'warn' },
  reviewed: { label: 'Approved', tone: 'success' },
  merged: { label: 'Merged', tone: 'success' },
  dead_letter: { label: 'Stuck', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

export const ESCALATION_TYPE_LABELS: Record<EscalationType, string> = {
  question: 'Question',
  permission: 'Permission',
  plan_approval: 'Plan approval',
  budget: 'Budget',
  stall: 'Stalled agent',
  dead_letter: 'Stuck task',
  merge_conflict: 'Merge conflict',
  final_merge: 'Final merge',
  mission_brief: 'Director\'s draft',
};

export const ROLE_NAMES: Record<AgentRole, string> = {
  leader: 'Leader',
  coder: 'Coder',
  reviewer: 'Reviewer',
  researcher: 'Researcher',
};

/** Agents in these states never run again. */
export const FINAL_AGENT_STATES: readonly AgentState[] = ['done', 'killed', 'failed'];

/** States in which an agent has a model call or a tool run under way. */
export const BUSY_AGENT_STATES: readonly AgentState[] = ['working', 'waiting_limiter', 'waiting_tool'];

/** Task states that count as finished for progress bars. */
export const FINISHED_TASK_STATES: readonly TaskState[] = ['merged', 'cancelled'];
