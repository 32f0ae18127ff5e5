import { errorText, TERMINAL_TASK } from './runtime-types.js';
import type { MissionHost } from './mission-host.js';

/**
 * The end of a mission: the team branches merge into the mission branch, then (once the
 * person approves) the mission branch into the base branch. A conflict at either step
 * becomes a `merge_conflict` escalation; approving it merges again.
 */
export class MissionIntegration {
  /** The merge in progress, if any: one at a time, and `busy()` waits on it. */
  running: Promise<void> | null = null;

  constructor(private readonly h: MissionHost) {}

  /** Starts integrating once every team's tasks of this round are finished and nothing is open. */
  maybeIntegrate(): void {
    if (this.h.mission.state !== 'running' || this.running) return;
    for (const team of this.h.teams.values()) {
      const tasks = this.h.teamTasks(team);
      if (!tasks.every((t) => TERMINAL_TASK.includes(t.state))) return;
    }
    if (this.h.escalations.open.size > 0) return;
    const merged = [...this.h.tasks.values()].some((t) => t.planRound === this.h.mission.planRound && t.state === 'merged');
    if (!merged) {
      this.h.setMissionState('failed', { reason: 'no task was merged' }, { outcome: 'no task was merged' });
      return;
    }
    this.integrate();
  }

  /** Merges the team branches into the mission branch, then asks for the final merge. */
  integrate(): void {
    if (this.running) return;
    this.running = this.doIntegrate()
      .catch((error: unknown) => {
        if (!this.h.ctx.store.open) return;
        this.h.ctx.logError('integrating the mission', error);
        this.h.setMissionState('failed', { reason: errorText(error) }, { outcome: `integration failed: ${errorText(error)}` });
      })
      .finally(() => {
        this.running = null;
      });
  }

  private async doIntegrate(): Promise<void> {
    if (this.h.mission.state !== 'integrating') this.h.setMissionState('integrating');
    const ws = this.h.requireWorkspace();
    const outcome = await ws.mergeTeamsIntoMission({ message: `Merge the teams of mission ${this.h.mission.name}` });
    if (!this.h.ctx.store.open || this.h.mission.state !== 'integrating') return;
    if (!outcome.merged) {
      this.h.raise({
        type: 'merge_conflict',
        level: 'human',
        teamId: outcome.teamId,
        agentId: null,
        taskId: null,
        title: `Team ${outcome.teamId} conflicts with the mission branch`,
        detail:
          `Conflicting files: ${outcome.conflicts.join(', ')}. Resolve the conflict on ${ws.missionBranch} ` +
          `(or the team branch) and approve to merge again; deny to fail the mission.`,
        payload: { stage: 'teams', conflicts: outcome.conflicts, mergedTeams: outcome.mergedTeams },
      });
      return;
    }
    this.h.raise({
      type: 'final_merge',
      level: 'human',
      teamId: null,
      agentId: null,
      taskId: null,
      title: `Merge mission "${this.h.mission.name}" into ${this.h.mission.baseBranch}?`,
      detail: `Every team's work is on ${ws.missionBranch} (${outcome.commit.slice(0, 12)}). Approve to merge it into ${this.h.mission.baseBranch}.`,
      payload: { missionBranch: ws.missionBranch, commit: outcome.commit },
    });
  }

  /** Merges the mission branch into the base branch (the person approved the final merge). */
  async finalize(): Promise<void> {
    const ws = this.h.requireWorkspace();
    const outcome = await ws.finalizeIntoBase();
    if (!this.h.ctx.store.open) return;
    if (!outcome.merged) {
      this.h.raise({
        type: 'merge_conflict',
        level: 'human',
        teamId: null,
        agentId: null,
        taskId: null,
        title: `The mission conflicts with ${this.h.mission.baseBranch}`,
        detail: `Conflicting files: ${outcome.conflicts.join(', ')}. Resolve them and approve to merge again; deny to fail the mission.`,
        payload: { stage: 'final', conflicts: outcome.conflicts },
      });
      return;
    }
    this.h.setMissionState(
      'done',
      { commit: outcome.commit },
      { finalCommit: outcome.commit, outcome: `merged into ${this.h.mission.baseBranch} at ${outcome.commit.slice(0, 12)}` },
    );
  }
}
