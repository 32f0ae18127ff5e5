import type { MissionTeamView, TaskView } from '../../../src/shared/mission.js';
import { currentRounds, isCurrentTask } from '../../../src/shared/plan-rounds.js';

/**
 * One team's plan as the mission page shows it: the current plan's tasks as its rows and
 * its progress, and the tasks of plans sent back ("Ask for changes") folded away, so they
 * neither read as work to do nor count. The rule is the engine's (`plan-rounds.ts`), so the
 * page, the missions list and the summaries agree at every moment.
 */
export interface TeamPlanFold {
  /** The current plan's tasks, in the order given. */
  current: TaskView[];
  /** Tasks of plans sent back, newest round first. */
  superseded: TaskView[];
  merged: number;
  /** The current plan's size: what "merged of total" counts against. */
  total: number;
  /** The current plan's tasks by key, for its dependencies (keys repeat across rounds). */
  byKey: Map<string, TaskView>;
}

/** Folds one team's tasks (every round of them) into its current plan and the superseded rest. */
export function foldTeamPlan(missionRound: number, team: Pick<MissionTeamView, 'id' | 'phaseState'>, tasks: readonly TaskView[]): TeamPlanFold {
  const rounds = currentRounds(missionRound, [team], tasks);
  const current: TaskView[] = [];
  const superseded: TaskView[] = [];
  for (const t of tasks) (isCurrentTask(t, rounds) ? current : superseded).push(t);
  superseded.sort((a, b) => b.planRound - a.planRound);
  return {
    current,
    superseded,
    merged: current.filter((t) => t.state === 'merged').length,
    total: current.length,
    byKey: new Map(current.map((t) => [t.key, t])),
  };
}

/** The plan badge of a team's card; null while the team waits for earlier phases. */
export interface PlanBadge {
  label: string;
  tone: 'plain' | 'accent' | 'success';
}

/**
 * Where a team's plan stands: "Plan submitted" only while it waits for the person's
 * approval (every task of it still planned); once any task of the current plan moved on
 * (approved by the person, or at once when approval is skipped), it reads "Plan approved".
 */
export function planBadge(team: Pick<MissionTeamView, 'planState' | 'phaseState'>, current: readonly TaskView[]): PlanBadge | null {
  if (team.phaseState === 'waiting') return null;
  if (team.planState === 'pending') return { label: 'Not planned yet', tone: 'plain' };
  if (team.planState === 'planning') return { label: 'Planning…', tone: 'accent' };
  const live = current.filter((t) => t.state !== 'cancelled');
  const approved = team.phaseState === 'merged' || live.some((t) => t.state !== 'planned');
  return approved ? { label: 'Plan approved', tone: 'success' } : { label: 'Plan submitted', tone: 'accent' };
}
