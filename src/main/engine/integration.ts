import { errorText, TERMINAL_TASK } from './runtime-types.js';
import type { MissionHost } from './mission-host.js';
import { activeTeams, openReadyTeams, recordTeamMerged } from './phase-runner.js';

/**
 * The end of each phase and of the mission: the active teams' branches merge into the
 * mission branch, then either the next phase's teams start from it or (once the person
 * approves) the mission branch merges into the base branch. A conflict at either step
 * becomes a `merge_conflict` escalation; approving it merges again.
 */
export class MissionIntegration {
  /** The merge in progress, if any: one at a time, and `busy()` waits on it. */
  running: Promise<void> | null = null;

  constructor(private readonly h: MissionHost) {}

  /**
   * Starts integrating once every active team's tasks of this round are finished and
   * nothing is open: the end of a phase (the teams waiting for it start after the merge)
   * or of the mission (the final merge is asked for).
   */
  maybeIntegrate(): void {
    if (this.h.mission.state !== 'running' || this.running) return;
    const active = activeTeams(this.h);
    for (const team of active) {
      const tasks = this.h.teamTasks(team);
      if (!tasks.every((t) => TERMINAL_TASK.includes(t.state))) return;
    }
    if (this.h.escalations.open.size > 0) return;
    const merged = active.some((team) => this.h.teamTasks(team).some((t) => t.state === 'merged'));
    if (!merged) {
      this.h.setMissionState('failed', { reason: 'no task was merged' }, { outcome: 'no task was merged' });
      return;
    }
    this.integrate();
  }

  /**
   * Merges the active teams into the mission branch (one at a time, each recorded with
   * what it delivered as soon as it is merged), then starts the teams that waited for
   * them, or asks for the final merge when none is left. Teams already merged are never
   * merged again, so a restart mid-way picks up where it stopped.
   */
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

  private stillIntegrating(): boolean {
    return this.h.ctx.store.open && this.h.mission.state === 'integrating';
  }

  private async doIntegrate(): Promise<void> {
    if (this.h.mission.state !== 'integrating') this.h.setMissionState('integrating');
    const ws = this.h.requireWorkspace();
    const mergedTeams: string[] = [];
    for (const team of activeTeams(this.h)) {
      const outcome = await ws.mergeTeamIntoMission(team.rec.id, team.rec.startCommit, {
        message: `Merge team ${team.rec.name} into mission ${this.h.mission.name}`,
      });
      if (!this.stillIntegrating()) return;
      if (!outcome.merged) {
        this.h.raise({
          type: 'merge_conflict',
          level: 'human',
          teamId: team.rec.id,
          agentId: null,
          taskId: null,
          title: `Team ${team.rec.name} conflicts with the mission branch`,
          detail:
            `Conflicting files: ${outcome.conflicts.join(', ')}. Resolve the conflict on ${ws.missionBranch} ` +
            `(or the team branch) and approve to merge again; deny to fail the mission.`,
          payload: { stage: 'teams', conflicts: outcome.conflicts, mergedTeams },
        });
        return;
      }
      recordTeamMerged(this.h, team, outcome);
      mergedTeams.push(team.rec.id);
    }
    if ([...this.h.teams.values()].some((t) => t.rec.phaseState === 'waiting')) {
      const started = await openReadyTeams(this.h, mergedTeams.length > 0 ? `after ${mergedTeams.join(', ')} merged` : 'resumed');
      if (!this.stillIntegrating()) return;
      if (started.length === 0) throw new Error('the teams left wait for teams that can never be merged');
      this.h.setMissionState('planning', {
        reason: 'the previous phase is merged',
        teams: started.map((t) => t.rec.id),
      });
      this.h.kickAll();
      return;
    }
    const commit = await ws.missionHead();
    if (!this.stillIntegrating()) return;
    this.h.raise({
      type: 'final_merge',
      level: 'human',
      teamId: null,
      agentId: null,
      taskId: null,
      title: `Merge mission "${this.h.mission.name}" into ${this.h.mission.baseBranch}?`,
      detail: `Every team's work is on ${ws.missionBranch} (${commit.slice(0, 12)}). Approve to merge it into ${this.h.mission.baseBranch}.`,
      payload: { missionBranch: ws.missionBranch, commit },
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
