import type { EscalationDecision } from '../../../shared/mission.js';
import { pullRequestUrlOf } from '../../../shared/pull-request.js';
import { AppError } from '../../../shared/result.js';
import type { EscalationRecord, TaskRecord } from '../../ledger/mission-repository.js';
import type { MissionWorkspace } from '../../workspace/mission-workspace.js';
import {
  ACTIVE_TASK,
  TERMINAL_AGENT,
  TERMINAL_TASK,
  type AgentRt,
  type DecisionInput,
  type EngineContext,
  type TeamRt,
} from '../runtime-types.js';
import type { StateWrites } from '../state-writes.js';
import type { Escalations } from './escalations.js';
import { teamTitle } from '../../../shared/team-label.js';

/**
 * Decisions on a mission's escalations, by the person (`MissionEngine.decide`), a leader
 * (`answer_coder`) or a default-action timer, all on one path: `record` writes the
 * decision row (and an "always allow" rule, a raised budget) and nothing else; `apply`
 * then carries it out (agents go on, a plan starts or goes back, merges run). Only what
 * `needsWorkspace` names touches git.
 */

/** What carrying out a decision may do to the mission (the hub, `mission-runtime.ts`, gives it). */
export interface DecisionsHost {
  readonly ctx: EngineContext;
  readonly agents: ReadonlyMap<string, AgentRt>;
  readonly teams: ReadonlyMap<string, TeamRt>;
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  /** The mission as it is now, and the writes a decision makes. */
  readonly writes: StateWrites;
  readonly escalations: Escalations;
  /** The workspace if one is open (a declined final merge names its branch). */
  workspace(): MissionWorkspace | null;
  requireWorkspace(): MissionWorkspace;
  /** A command the person allowed for good for a team (its ledger row is written here). */
  addRule(teamId: string, command: string): void;
  kick(team: TeamRt): void;
  /** Planned tasks become ready and coders start. */
  startRunning(reason: string): void;
  /** The plan goes back to the leaders with the person's comment. */
  replan(comment: string): void;
  pause(reason: string): void;
  cancel(reason: string): void;
  /** Merges the team branches into the mission branch, then asks for the final merge. */
  integrate(): void;
  /** Merges the mission branch into the base branch. */
  finalize(): Promise<void>;
}

/**
 * Whether carrying out `decision` on `esc` needs the mission's git workspace: a merge
 * (an approved final merge, a merge conflict to try again), a stalled coder's worktree
 * reset, or a plan approved or sent back (its agents start working in their worktrees).
 * Any other decision is a ledger row and memory; where it lets agents go on, their
 * mission is working and so already has its workspace open.
 */
export function needsWorkspace(esc: EscalationRecord, decision: EscalationDecision): boolean {
  switch (esc.type) {
    case 'final_merge':
      return decision === 'approve';
    case 'merge_conflict':
    case 'plan_approval':
      return decision !== 'deny';
    case 'stall':
      return decision !== 'deny' && esc.payload.noAgents !== true && esc.payload.leader !== true && esc.taskId !== null;
    default:
      return false;
  }
}

export class Decisions {
  constructor(private readonly h: DecisionsHost) {}

  /**
   * Records a decision: its row and log row (with an "always allow" rule or a raised
   * budget) in one transaction, then the escalation's indexes and events. Touches no git
   * and wakes nobody; `apply` does what the decision says.
   */
  record(id: string, d: DecisionInput): EscalationRecord {
    const { store } = this.h.ctx;
    const { writes } = this.h;
    const esc = this.h.escalations.all.get(id);
    if (!esc) throw new AppError('not_found', `no escalation "${id}" in mission "${writes.mission.name}"`);
    if (esc.state !== 'open') throw new AppError('conflict', `escalation "${esc.title}" was already ${esc.state === 'resolved' ? `decided (${esc.decision})` : 'cancelled'}`);
    const at = writes.now();
    const next: EscalationRecord = {
      ...esc,
      state: 'resolved',
      decision: d.decision,
      comment: d.comment.trim() === '' ? null : d.comment.trim(),
      alwaysAllow: d.alwaysAllow === true && esc.type === 'permission',
      decidedBy: d.decidedBy,
      decidedAt: at,
    };
    const team = esc.teamId ? this.h.teams.get(esc.teamId) : undefined;
    const missionId = writes.mission.id;
    store.tx(() => {
      store.saveEscalation(next);
      store.log({ missionId, at, kind: 'decision', subjectId: id, fromState: 'open', toState: d.decision, detail: { by: d.decidedBy, comment: next.comment, alwaysAllow: next.alwaysAllow } });
      if (next.alwaysAllow && team && typeof esc.payload.command === 'string') {
        store.addTeamRule(missionId, team.rec.id, esc.payload.command, id, at);
        this.h.addRule(team.rec.id, esc.payload.command);
      }
      if (esc.type === 'budget' && d.budgetNano !== undefined) {
        writes.setMissionBudget(d.budgetNano);
      }
    });
    this.h.escalations.track(next);
    return next;
  }

  /**
   * Carries out a recorded decision (what follows the row, and can be redone from it after
   * a restart). Answers the escalation as it is afterwards.
   */
  async apply(esc: EscalationRecord): Promise<EscalationRecord> {
    await this.carryOut(esc, esc.teamId ? this.h.teams.get(esc.teamId) : undefined);
    return this.h.escalations.all.get(esc.id) ?? esc;
  }

  private async carryOut(esc: EscalationRecord, team: TeamRt | undefined): Promise<void> {
    const { writes } = this.h;
    const raiser = esc.agentId ? this.h.agents.get(esc.agentId) : undefined;
    const guidance = esc.comment ?? '';
    switch (esc.type) {
      case 'question':
      case 'permission':
        if (raiser && raiser.rec.state === 'waiting_escalation') writes.setAgentState(raiser, 'idle', 'answered');
        break;
      case 'budget':
        if (raiser && raiser.rec.state === 'waiting_escalation') writes.setAgentState(raiser, 'idle', 'budget decision');
        if (esc.decision === 'deny' && (writes.mission.state === 'running' || writes.mission.state === 'planning')) {
          this.h.pause('the person denied more budget');
        }
        break;
      case 'stall':
        await this.applyStall(esc, team, raiser, guidance);
        break;
      case 'dead_letter': {
        const task = esc.taskId ? this.h.tasks.get(esc.taskId) : undefined;
        if (task && task.state === 'dead_letter') {
          if (esc.decision === 'deny') this.cascadeDeadLetter(task);
          else writes.saveTask(task, { state: 'ready', attempts: 0, feedback: guidance || task.feedback }, { reason: 'retried by the person' });
        }
        break;
      }
      case 'plan_approval':
        if (writes.mission.state !== 'awaiting_plan_approval') break;
        if (esc.decision === 'approve') this.h.startRunning('approved by the person');
        else if (esc.decision === 'reply') this.h.replan(guidance);
        else this.h.cancel('the person rejected the plan');
        return;
      case 'merge_conflict':
        if (esc.decision === 'deny') {
          writes.setMissionState('failed', { reason: 'merge conflict not resolved' }, { outcome: `merge conflict: ${String((esc.payload.conflicts as string[] | undefined)?.join(', ') ?? '')}` });
        } else if (esc.payload.stage === 'final') {
          await this.h.finalize();
        } else {
          this.h.integrate();
        }
        return;
      case 'final_merge':
        if (esc.decision === 'approve') await this.h.finalize();
        else if (pullRequestUrlOf(esc.comment)) {
          // Answered with a pull request (`publish/`): the work goes to the base branch through it.
          const url = pullRequestUrlOf(esc.comment);
          const on = this.h.workspace()?.missionBranch ?? (typeof esc.payload.missionBranch === 'string' ? esc.payload.missionBranch : 'the mission branch');
          writes.setMissionState('done', { finalMerge: 'pull_request', url }, {
            outcome: `pull request opened: ${url} (the work is on ${on})`,
            resultKind: 'pull_request',
          });
        } else {
          // The branch the escalation was raised with: declining needs no workspace open.
          const raisedOn = typeof esc.payload.missionBranch === 'string' ? esc.payload.missionBranch : null;
          writes.setMissionState('done', { finalMerge: 'declined' }, {
            outcome: `final merge declined; the work stays on ${this.h.workspace()?.missionBranch ?? raisedOn ?? 'the mission branch'}`,
            resultKind: 'declined',
          });
        }
        return;
    }
    if (team) this.h.kick(team);
  }

  private async applyStall(esc: EscalationRecord, team: TeamRt | undefined, raiser: AgentRt | undefined, guidance: string): Promise<void> {
    const { writes } = this.h;
    // A team left without the agents it needs, or (no team) a mission in which no agent can
    // act: approve restarts the stopped agents (of the team, or of every working team), deny fails the mission.
    if (esc.payload.noAgents === true) {
      if (esc.decision === 'deny') {
        const why = typeof esc.payload.reason === 'string' ? esc.payload.reason : 'no agent could act';
        if (team) writes.setMissionState('failed', { reason: 'a team had no agents left' }, { outcome: `${teamTitle(team.rec.name)} had no agents left` });
        else writes.setMissionState('failed', { reason: 'no agent could go on' }, { outcome: `no agent could go on: ${why}` });
        return;
      }
      const teams = team ? [team] : [...this.h.teams.values()].filter((t) => t.rec.phaseState === 'active');
      for (const t of teams) {
        for (const a of t.all) if (a.rec.state === 'killed' || a.rec.state === 'failed') writes.setAgentState(a, 'idle', 'restarted by the person');
      }
      if (!team) for (const t of teams) this.h.kick(t);
      return;
    }
    if (!team) return;
    if (!raiser) return;
    if (esc.payload.leader === true) {
      writes.setStallCounter(raiser, 0);
      if (raiser.rec.state === 'waiting_escalation') writes.setAgentState(raiser, 'idle', 'continue');
      if (esc.decision === 'deny') this.h.pause('the person stopped a stalled leader');
      return;
    }
    const task = esc.taskId ? this.h.tasks.get(esc.taskId) : undefined;
    if (!task) return;
    const { store } = this.h.ctx;
    if (esc.decision === 'deny') {
      store.tx(() => {
        this.cascadeDeadLetter(writes.saveTask(task, { state: 'dead_letter', assignee: null }, { reason: 'stalled; given up by the person' }));
        writes.setAgentState(raiser, 'idle', null, { currentTaskId: null, turnsWithoutProgress: 0 });
      });
      return;
    }
    const text = guidance || 'You stalled on the previous attempt. Start again, keep it simple, write the files, and call submit_task.';
    await this.h.requireWorkspace().resetCoderToTeam(raiser.rec.id);
    if (!store.open) return;
    store.tx(() => {
      if (ACTIVE_TASK.includes(task.state)) writes.saveTask(task, { state: 'ready', assignee: null, feedback: text }, { reason: 'reset after a stall' });
      if (!TERMINAL_AGENT.includes(raiser.rec.state)) writes.setAgentState(raiser, 'idle', 'reset after a stall', { currentTaskId: null, turnsWithoutProgress: 0 });
    });
  }

  /** A task given up takes every task that (transitively) depends on it with it. */
  private cascadeDeadLetter(task: TaskRecord): void {
    const dead = new Set([task.key]);
    let changed = true;
    while (changed) {
      changed = false;
      for (const t of this.h.tasks.values()) {
        if (t.teamId !== task.teamId || t.planRound !== task.planRound || dead.has(t.key) || TERMINAL_TASK.includes(t.state)) continue;
        if (t.dependsOn.some((k) => dead.has(k)) && (t.state === 'ready' || t.state === 'planned')) {
          this.h.writes.saveTask(t, { state: 'dead_letter' }, { reason: `depends on "${task.key}", which was given up` });
          dead.add(t.key);
          changed = true;
        }
      }
    }
  }
}
