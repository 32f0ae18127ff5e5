import { errorText, TERMINAL_TASK } from './runtime-types.js';
import type { MissionHost } from './mission-host.js';
import { pendingResolution, raiseForPerson, resolveConflict, settleResolution, testCommandOf } from './conflicts.js';
import { activeTeams, openReadyTeams, recordTeamMerged } from './phase-runner.js';
import { runRecordedTests } from './test-recording.js';
import { summariseMergedTeams } from './result-summary.js';
import { teamTitle } from '../../shared/team-label.js';

/**
 * The end of each phase and of the mission: the active teams' branches merge into the
 * mission branch, then either the next phase's teams start from it or (once the person
 * approves) the mission branch merges into the base branch. A conflict at either step
 * goes to a leader first (`conflicts.ts`), then, if it cannot resolve it, to the person
 * as a `merge_conflict` escalation; approving that merges again.
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
    // The final merge's resolution was under way when the mission stopped: it resumes.
    if (pendingResolution(this.h, 'final', null)) {
      await this.finalizeAfterConflict(null);
      return;
    }
    const mergedTeams: string[] = [];
    for (const team of activeTeams(this.h)) {
      const merge = () =>
        ws.mergeTeamIntoMission(team.rec.id, team.rec.startCommit, {
          message: `Merge ${teamTitle(team.rec.name)} into mission ${this.h.mission.name}`,
        });
      let outcome = await merge();
      if (!this.stillIntegrating()) return;
      if (!outcome.merged) {
        // The team's leader resolves it on a branch of its own; the person only if it cannot.
        const resolved = await resolveConflict(this.h, { stage: 'teams', team, conflicts: outcome.conflicts, mergedTeams });
        if (!resolved.resolved || !this.stillIntegrating()) return;
        // The resolution is on the mission branch now: this merge finds nothing to do and lists the files.
        outcome = await merge();
        if (!this.stillIntegrating()) return;
        if (!outcome.merged) throw new Error(`${teamTitle(team.rec.name)} still conflicts after its leader's resolution`);
      }
      const merged = outcome;
      this.h.ctx.store.tx(() => recordTeamMerged(this.h, team, merged));
      await settleResolution(this.h, 'teams', team.rec.id);
      mergedTeams.push(team.rec.id);
    }
    // Each merged team's leader writes what it delivered, for the result (never fails the mission).
    await summariseMergedTeams(this.h);
    if (!this.stillIntegrating()) return;
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
    // The teams' tests, run together on the mission branch: what the person reads before approving.
    for (const command of missionTestCommands(this.h)) {
      await runRecordedTests(this.h, command, ws.missionWorktree, { stage: 'final', teamId: null, taskId: null, agentId: null });
      if (!this.stillIntegrating()) return;
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

  /**
   * Merges the mission branch into the base branch (the person approved the final merge).
   * A conflict (the base moved on) goes to a leader in the background, as `running`, so
   * the person's approval answers at once; the merge is tried again once it is resolved.
   */
  async finalize(): Promise<void> {
    const ws = this.h.requireWorkspace();
    const outcome = await ws.finalizeIntoBase();
    if (!this.h.ctx.store.open) return;
    if (!outcome.merged) {
      if (this.running) return;
      this.running = this.finalizeAfterConflict(outcome.conflicts)
        .catch((error: unknown) => {
          if (!this.h.ctx.store.open) return;
          this.h.ctx.logError('resolving the final merge', error);
          this.h.setMissionState('failed', { reason: errorText(error) }, { outcome: `final merge failed: ${errorText(error)}` });
        })
        .finally(() => {
          this.running = null;
        });
      return;
    }
    this.finished(outcome.commit);
  }

  /**
   * The final merge conflicted (`conflicts`; null when resuming a pending resolution,
   * whose merge is tried first in case it landed before a restart): a leader resolves it
   * by merging the base into the mission branch, then the final merge goes through.
   */
  private async finalizeAfterConflict(conflicts: string[] | null): Promise<void> {
    const ws = this.h.requireWorkspace();
    let found = conflicts;
    if (found === null) {
      const outcome = await ws.finalizeIntoBase();
      if (!this.h.ctx.store.open) return;
      if (outcome.merged) {
        await settleResolution(this.h, 'final', null);
        this.finished(outcome.commit);
        return;
      }
      found = outcome.conflicts;
    }
    const resolved = await resolveConflict(this.h, { stage: 'final', team: null, conflicts: found, mergedTeams: [] });
    if (!resolved.resolved || !this.stillIntegrating()) return;
    const outcome = await ws.finalizeIntoBase();
    if (!this.h.ctx.store.open) return;
    await settleResolution(this.h, 'final', null);
    if (!outcome.merged) {
      // The base moved again meanwhile: the person decides now.
      raiseForPerson(this.h, { stage: 'final', team: null, conflicts: outcome.conflicts, mergedTeams: [] }, `${this.h.mission.baseBranch} moved again after a leader resolved the first conflict.`);
      return;
    }
    this.finished(outcome.commit);
  }

  private finished(commit: string): void {
    this.h.setMissionState(
      'done',
      { commit },
      { finalCommit: commit, outcome: `merged into ${this.h.mission.baseBranch} at ${commit.slice(0, 12)}` },
    );
  }
}

/** Each team's test command once (teams of one repository usually share it). */
function missionTestCommands(h: MissionHost): string[] {
  const commands = [...h.teams.values()].map((team) => testCommandOf(h.teamAllowlist(team)));
  return [...new Set(commands.filter((c): c is string => c !== null))];
}
