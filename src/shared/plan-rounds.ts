import type { TeamPhaseState } from './mission.js';

/**
 * Which of a mission's tasks make its current plan. "Ask for changes" cancels the plan's
 * tasks and the leaders plan a new round; the old round's tasks stay in the ledger, but
 * they are superseded: progress counts, and the plan shows, only each team's current
 * round. That round is the mission's round for a team planning or working now (even
 * before its leader has created a task of it), and the last round it planned for a team
 * merged already (its plan was not sent back when a later phase's was).
 */

/** A team as this needs it: its id and where it is in the mission's phases. */
export interface RoundTeam {
  id: string;
  phaseState: TeamPhaseState;
}

/** A task as this needs it. */
export interface RoundTask {
  teamId: string;
  planRound: number;
}

/** The round of each team's current plan, by team id. Teams not listed get the last round they have tasks in. */
export function currentRounds(missionRound: number, teams: readonly RoundTeam[], tasks: readonly RoundTask[]): Map<string, number> {
  const rounds = new Map<string, number>();
  for (const t of tasks) rounds.set(t.teamId, Math.max(rounds.get(t.teamId) ?? t.planRound, t.planRound));
  for (const team of teams) if (team.phaseState === 'active') rounds.set(team.id, missionRound);
  return rounds;
}

/** Whether a task belongs to its team's current plan (not one sent back). */
export function isCurrentTask(task: RoundTask, rounds: ReadonlyMap<string, number>): boolean {
  return task.planRound === (rounds.get(task.teamId) ?? task.planRound);
}

/** The tasks of the current plan, in the order given. */
export function currentPlanTasks<T extends RoundTask>(missionRound: number, teams: readonly RoundTeam[], tasks: readonly T[]): T[] {
  const rounds = currentRounds(missionRound, teams, tasks);
  return tasks.filter((t) => isCurrentTask(t, rounds));
}
