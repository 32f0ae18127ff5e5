import type { EscalationType, TaskState } from './mission.js';

/**
 * A team's status at a glance and how well it works, measured from the ledger
 * (`missions:get-team-status`). Counts cover the current plan round only
 * (`plan-rounds.ts`); the velocity figures cover everything the team did in the mission.
 */

/** Where a task of the current plan stands, for the team's counts. */
export type TaskBucket = 'waiting' | 'inProgress' | 'inReview' | 'blocked' | 'done';

/**
 * Each task state's bucket; null: not counted (a cancelled task is no longer the team's
 * work). A task in progress that waits on an open escalation counts as blocked instead.
 * Declared over every state, so a new state does not compile until it is placed.
 */
export const TASK_BUCKETS = {
  planned: 'waiting',
  ready: 'waiting',
  claimed: 'inProgress',
  in_progress: 'inProgress',
  submitted: 'inReview',
  reviewed: 'inReview',
  merged: 'done',
  dead_letter: 'blocked',
  cancelled: null,
} as const satisfies Record<TaskState, TaskBucket | null>;

/** Tasks of the current plan by bucket; `assigned` is their sum (cancelled ones are left out). */
export type TeamTaskCounts = Record<TaskBucket, number> & { assigned: number };

/** A share with its denominator, so the UI can say "3 of 4"; `of` 0 means there is nothing to measure yet. */
export interface Ratio {
  count: number;
  of: number;
}

/** An open escalation that holds the team up. */
export interface TeamBlocker {
  escalationId: string;
  title: string;
  type: EscalationType;
  /** `human`: in the person's Inbox; `leader`: the team's leader is deciding it. */
  level: 'leader' | 'human';
  createdAt: string;
  /** How long it has been open, at the status's `at`. */
  ageMs: number;
}

export interface TeamVelocity {
  /** Tasks merged into the team branch (any plan round). */
  merged: number;
  /** Time the team worked: from its first claimed task to now (or its last merge, or the mission's end), less the mission's pauses. */
  activeMs: number;
  /** merged / active hours; null until something is merged. */
  mergedPerHour: number | null;
  /** Median time from an escalation of the team being raised to its decision; null when none was decided. */
  medianBlockerMs: number | null;
  /** Escalations of the team decided so far (the median's sample). */
  blockersResolved: number;
  /** Tasks approved on their first review, of the tasks reviewed at least once. */
  firstReviewApproval: Ratio;
  /** Submissions a reviewer rejected, of all submissions (rework). */
  rework: Ratio;
  /** Merges without a conflict (tasks into the team branch, the team into the mission branch), of all merges tried. */
  integration: Ratio;
  /** What every call of the team cost, nano-dollars. */
  costNanoUsd: number;
  /** costNanoUsd / merged, rounded; null until something is merged. */
  costPerMergedNanoUsd: number | null;
}

/** When the team should be done at its measured pace. */
export interface TeamEta {
  /** Tasks of the current plan neither merged nor cancelled. */
  remaining: number;
  /** now + remaining / pace; null with a reason when it cannot be estimated. */
  finishAt: string | null;
  reason: string | null;
}

export interface TeamStatus {
  teamId: string;
  name: string;
  counts: TeamTaskCounts;
  /** Open escalations of the team, oldest first. */
  blockers: TeamBlocker[];
  velocity: TeamVelocity;
  eta: TeamEta;
}

/** Every team of a mission, measured at `at`. */
export interface MissionTeamStatus {
  missionId: string;
  at: string;
  teams: TeamStatus[];
}

/** A ratio as a percentage, or null when there is nothing to measure. */
export function ratioPercent(r: Ratio): number | null {
  return r.of === 0 ? null : Math.round((r.count / r.of) * 100);
}
