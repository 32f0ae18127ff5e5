import { findModel } from './models.js';
import { formatUsd } from './money.js';
import type { AgentRole } from './team.js';

/**
 * "/cost per role": what each role cost on each model in past missions, per merged task,
 * and how well it did (first-review approval, rework), from the ledger
 * (`src/main/ledger/role-costs.ts`). The designer reads the same rows to suggest a
 * cheaper model where the data shows it doing a role as well.
 */

export interface RoleCostRow {
  role: AgentRole;
  model: string;
  /** Agents of this role on this model (one per mission and agent id). */
  agents: number;
  calls: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  spendNano: number;
  /**
   * Merged tasks these agents account for: the tasks they claimed and saw merged; for
   * leaders and reviewers, who do not claim tasks, the merged tasks of their teams.
   */
  mergedTasks: number;
  /** spendNano / mergedTasks, rounded; null without a merged task. */
  costPerMergedTaskNano: number | null;
  /** Tasks whose first review judged these agents' submission. */
  reviewedTasks: number;
  /** Of those, approved at that first review. */
  firstReviewApproved: number;
  /** firstReviewApproved / reviewedTasks; null without a reviewed task. */
  firstReviewApprovalRate: number | null;
  /** Submissions these agents made (moves into review), first and later ones. */
  submissions: number;
  /** Of those, rejected by their review (sent back, or to the dead letters). */
  rejections: number;
  /**
   * rejections / submissions: the share of submissions sent back for rework (the team
   * status's "rework" reads the log the same way); null without a submission.
   */
  reworkRate: number | null;
}

/** The right-size advice needs this many reviewed tasks on each of the two models. */
export const RIGHT_SIZE_MIN_TASKS = 20;
/** "As well": first-review approval at most this far below (0.05 = 5 points)… */
export const RIGHT_SIZE_APPROVAL_MARGIN = 0.05;
/** …and a rework rate at most this far above (0.1 = 10 points). */
export const RIGHT_SIZE_REWORK_MARGIN = 0.1;

export interface RightSize {
  role: AgentRole;
  /** The model the design uses now… */
  from: string;
  /** …and the cheaper one that did the role as well. */
  to: string;
  fromRow: RoleCostRow;
  toRow: RoleCostRow;
  /** "Sonnet 4.6 coders: 92% first-review approval over 40 tasks vs Opus 4.8 94% over 35; 8% vs 6% of submissions reworked; $0.41 vs $1.20 per merged task". */
  text: string;
}

const PLURAL_ROLE: Record<AgentRole, string> = {
  leader: 'leaders',
  coder: 'coders',
  reviewer: 'reviewers',
  researcher: 'researchers',
};

/** "Claude Sonnet 4.6" → "Sonnet 4.6": short enough for a sentence of figures. */
function shortLabel(model: string): string {
  return (findModel(model)?.label ?? model).replace(/^Claude /, '');
}

const pct = (rate: number) => `${Math.round(rate * 100)}%`;

function sentence(role: AgentRole, to: RoleCostRow, from: RoleCostRow): string {
  return (
    `${shortLabel(to.model)} ${PLURAL_ROLE[role]}: ${pct(to.firstReviewApprovalRate ?? 0)} first-review approval over ` +
    `${to.reviewedTasks} tasks vs ${shortLabel(from.model)} ${pct(from.firstReviewApprovalRate ?? 0)} over ${from.reviewedTasks}; ` +
    `${pct(to.reworkRate ?? 0)} vs ${pct(from.reworkRate ?? 0)} of submissions sent back for rework; ` +
    `${formatUsd(to.costPerMergedTaskNano ?? 0)} vs ${formatUsd(from.costPerMergedTaskNano ?? 0)} per merged task`
  );
}

function measured(row: RoleCostRow | undefined): row is RoleCostRow & {
  firstReviewApprovalRate: number;
  reworkRate: number;
  costPerMergedTaskNano: number;
} {
  return (
    row !== undefined &&
    row.reviewedTasks >= RIGHT_SIZE_MIN_TASKS &&
    row.firstReviewApprovalRate !== null &&
    row.reworkRate !== null &&
    row.costPerMergedTaskNano !== null
  );
}

/**
 * The cheaper model for `role` now on `model`, if the ledger shows one doing the role as
 * well: both over `RIGHT_SIZE_MIN_TASKS` reviewed tasks, first-review approval within
 * `RIGHT_SIZE_APPROVAL_MARGIN` and rework within `RIGHT_SIZE_REWORK_MARGIN` of the
 * current model's, at a lower cost per merged task. The cheapest such model wins; null
 * when there is none.
 */
export function rightSize(role: AgentRole, model: string, rows: readonly RoleCostRow[]): RightSize | null {
  const current = rows.find((r) => r.role === role && r.model === model);
  if (!measured(current)) return null;
  let best: RightSize | null = null;
  for (const row of rows) {
    if (row.role !== role || row.model === model || !measured(row)) continue;
    if (row.costPerMergedTaskNano >= current.costPerMergedTaskNano) continue;
    // The epsilon keeps a difference of exactly the margin inside it despite float arithmetic.
    if (row.firstReviewApprovalRate < current.firstReviewApprovalRate - RIGHT_SIZE_APPROVAL_MARGIN - 1e-9) continue;
    if (row.reworkRate > current.reworkRate + RIGHT_SIZE_REWORK_MARGIN + 1e-9) continue;
    if (best && best.toRow.costPerMergedTaskNano! <= row.costPerMergedTaskNano) continue;
    best = { role, from: model, to: row.model, fromRow: current, toRow: row, text: sentence(role, row, current) };
  }
  return best;
}
