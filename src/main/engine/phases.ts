import { teamPhases } from '../../shared/phases.js';
import type { MissionTeamView } from '../../shared/mission.js';
import type { TeamRecord } from '../ledger/mission-repository.js';

/**
 * Phases at run time. A team may plan once every team it starts after (`after`, this
 * mission's copy in `mission_teams.after_json`) is merged into the mission branch; teams
 * without dependencies start together. When every active team has finished, they are
 * merged together (`integration.ts`) and the teams that waited for them start, from the
 * mission branch as it is then. Waves of teams started this way are exactly the phases of
 * `shared/phases.ts`: a team starts in the wave after the latest team it waits for.
 */

/** What the phase decision reads of a team. */
export type PhasedTeamRecord = Pick<TeamRecord, 'id' | 'name' | 'after' | 'phaseState'>;

/**
 * The one decision of which teams may plan now: every team not yet merged whose `after`
 * teams are all merged. Pure, so the director's step (which rewrites `after`) and the
 * engine's start and phase ends share it.
 */
export function teamsThatMayPlan<T extends PhasedTeamRecord>(teams: readonly T[]): T[] {
  const merged = new Set(teams.filter((t) => t.phaseState === 'merged').map((t) => t.id));
  const known = new Set(teams.map((t) => t.id));
  return teams.filter((t) => t.phaseState !== 'merged' && t.after.every((id) => merged.has(id) || !known.has(id)));
}

/** Why a team waits, for its agents' state and the mission page: "waiting for A and B to be merged". */
export function waitingReason(team: PhasedTeamRecord, teams: readonly PhasedTeamRecord[]): string {
  const names = team.after
    .map((id) => teams.find((t) => t.id === id))
    .filter((t): t is PhasedTeamRecord => t !== undefined && t.phaseState !== 'merged')
    .map((t) => t.name);
  const list = names.length <= 1 ? (names[0] ?? 'the teams before it') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
  return `waiting for ${list} to be merged into the mission branch`;
}

/** Each team's phase number (1 = starts at once), from this mission's `after` links. */
export function phaseNumbers(teams: readonly PhasedTeamRecord[]): Map<string, number> {
  return teamPhases(teams.map((t) => ({ id: t.id, name: t.name, after: t.after })));
}

/** The team as the UI sees it, with its phase. */
export function teamView(t: TeamRecord, phases: ReadonlyMap<string, number>): MissionTeamView {
  return {
    id: t.id,
    name: t.name,
    budgetNanoUsd: t.budgetNano,
    planState: t.planState,
    planSummary: t.planSummary,
    phase: phases.get(t.id) ?? 1,
    after: t.after,
    phaseState: t.phaseState,
    share: t.share,
    startCommit: t.startCommit,
    mergedCommit: t.mergedCommit,
    delivery: t.delivery,
    priorityWeight: t.priorityWeight,
    paused: t.paused,
  };
}

/** What a merged team delivered, in a few lines: its plan summary, then each merged task's summary. */
export function deliverySummary(planSummary: string | null, tasks: readonly { key: string; title: string; submissionSummary: string | null }[]): string {
  const lines: string[] = [];
  if (planSummary?.trim()) lines.push(`Plan: ${planSummary.trim()}`);
  for (const t of tasks) lines.push(`- ${t.key} (${t.title}): ${t.submissionSummary?.trim() || 'merged'}`);
  const text = lines.join('\n');
  return text.length > 4_000 ? `${text.slice(0, 4_000)}…` : text;
}
