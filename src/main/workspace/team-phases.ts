// A team's branch across a mission's phases: started from the mission branch as it is
// when the team's phase begins (so it builds on the teams merged before it), and merged
// into the mission branch when its phase ends, with the files it changed.

import { AppError } from '../../shared/result.js';
import { CONTROL_ROOM_IDENTITY, git, splitNul } from './git.js';
import { cleanIntegrationWorktree, hasRef, identityOf, mergeInto } from './merges.js';
import type { MergeOptions } from './mission-workspace.js';
import { copyFilesInto } from './worktrees.js';
import type { Plan, TeamPlan } from './workspace-plan.js';

export type TeamMergeOutcome =
  | {
      merged: true;
      /** The mission branch's commit after the merge. */
      commit: string;
      /** The team branch's commit that was merged. */
      teamCommit: string;
      /** Files the team changed since it started, sorted. */
      files: string[];
      /** True when the team branch was already in the mission branch (a merge redone after a restart). */
      alreadyMerged: boolean;
    }
  | { merged: false; conflicts: string[] };

/** The commit a branch points at. */
async function tip(repo: string, branch: string): Promise<string> {
  return (await git(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`], { cwd: repo })).stdout.trim();
}

async function isAncestor(repo: string, ancestor: string, of: string): Promise<boolean> {
  const result = await git(['merge-base', '--is-ancestor', ancestor, of], { cwd: repo, okExitCodes: [1] });
  return result.exitCode === 0;
}

/** Points a checked-out branch at `commit` and clears its worktree of anything untracked (ignored files stay). */
async function resetWorktree(cwd: string, commit: string): Promise<void> {
  if (await hasRef(cwd, 'MERGE_HEAD')) await git(['merge', '--abort'], { cwd, internal: true });
  await git(['reset', '--hard', '--quiet', commit], { cwd, internal: true });
  await git(['clean', '-fdq'], { cwd, internal: true });
}

/**
 * Starts a team from the mission branch as it is now: its branch and every coder branch
 * of it move to the mission branch's commit (in their own worktrees; the user's checkout
 * is not touched). Refused when the team branch holds work the mission branch does not,
 * which a team that never started cannot; redoing it after a restart changes nothing.
 * Answers the commit the team starts from.
 */
export async function startTeamFromMission(plan: Plan, team: TeamPlan): Promise<string> {
  const start = await tip(plan.repo, plan.missionBranch);
  const teamTip = await tip(plan.repo, team.branch);
  if (!(await isAncestor(plan.repo, teamTip, start))) {
    throw new AppError(
      'conflict',
      `team ${team.id} already has work of its own on ${team.branch}; it cannot be restarted from ${plan.missionBranch}`,
    );
  }
  await resetWorktree(team.worktree, start);
  for (const coder of team.coders) {
    await resetWorktree(coder.worktree, start);
    await copyFilesInto(plan, coder.worktree);
  }
  return start;
}

/**
 * Merges one team's branch into the mission branch (`--no-ff`, in the mission's
 * integration worktree) and lists the files it changed since `since` (its start; the
 * merge-base with the mission branch when unknown). A conflict is aborted and reported.
 */
export async function mergeTeamIntoMission(
  plan: Plan,
  team: TeamPlan,
  since: string | null,
  options: MergeOptions = {},
): Promise<TeamMergeOutcome> {
  const cwd = plan.missionWorktree;
  await cleanIntegrationWorktree(cwd);
  const teamCommit = await tip(plan.repo, team.branch);
  const from = since ?? (await git(['merge-base', 'HEAD', teamCommit], { cwd })).stdout.trim();
  const changed = await git(['diff', '--name-only', '-z', '--no-renames', from, teamCommit], { cwd: plan.repo });
  const files = [...new Set(splitNul(changed.stdout))].sort();
  const outcome = await mergeInto(cwd, team.branch, options.message ?? `Merge team ${team.id} into the mission`, {
    identity: identityOf(options.author, CONTROL_ROOM_IDENTITY),
    internal: true,
  });
  if (!outcome.merged) return outcome;
  return { merged: true, commit: outcome.commit, teamCommit, files, alreadyMerged: outcome.alreadyMerged };
}

/** The mission branch's commit now. */
export function missionHead(plan: Plan): Promise<string> {
  return tip(plan.repo, plan.missionBranch);
}
