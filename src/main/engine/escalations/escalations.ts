import { randomUUID } from 'node:crypto';
import type { EscalationType } from '../../../shared/mission.js';
import { AppError } from '../../../shared/result.js';
import type { TimerHandle } from '../../limiter/clock.js';
import type { RequestToolUseBlock } from '../../llm/provider.js';
import { isCommandAllowed } from '../../workspace/commands.js';
import type { MissionHost } from '../mission-host.js';
import type { EscalationRecord, TaskRecord } from '../../ledger/mission-repository.js';
import { replan } from '../roles/leader.js';
import {
  ACTIVE_TASK,
  BLOCKING,
  TERMINAL_AGENT,
  TERMINAL_TASK,
  type AgentRt,
  type DecisionInput,
  type RaiseInput,
  type TeamRt,
} from '../runtime-types.js';

/**
 * A mission's escalations: raising them, the indexes scheduling reads (open ones, who is
 * blocked, which tool use raised which), the default-action timers, and what a decision
 * does once it is recorded. The ledger row is always written first; the rest can be
 * redone from it after a restart.
 */
export class Escalations {
  /** Every escalation of the mission, by id. */
  readonly all = new Map<string, EscalationRecord>();
  /** Open escalations by id: what scheduling looks at, without scanning decided ones. */
  private readonly openById = new Map<string, EscalationRecord>();
  /** Escalations raised by a tool call, by tool_use id: how a restarted agent finds its answer. */
  private readonly byToolUse = new Map<string, EscalationRecord>();
  /** Open escalations that block their raiser, by agent id. */
  private readonly blockers = new Map<string, EscalationRecord>();
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly h: MissionHost) {}

  /** Indexes an escalation read from the ledger (no events, no timer: `armTimer` re-arms after a restart). */
  load(e: EscalationRecord): void {
    this.all.set(e.id, e);
    if (e.state === 'open') this.openById.set(e.id, e);
    if (e.toolUseId) this.byToolUse.set(e.toolUseId, e);
    if (e.state === 'open' && e.agentId && BLOCKING.includes(e.type)) this.blockers.set(e.agentId, e);
  }

  /** Open escalations, by id. */
  get open(): ReadonlyMap<string, EscalationRecord> {
    return this.openById;
  }

  /** The open escalation the agent waits for, if any. */
  blocker(agentId: string): EscalationRecord | undefined {
    return this.blockers.get(agentId);
  }

  /** Cancels every timer (the mission is unloaded or the engine closes). */
  dispose(): void {
    for (const handle of this.timers.values()) this.h.ctx.clock.clearTimeout(handle);
    this.timers.clear();
  }

  /** A leader (or researcher) passes an escalation on to the person, whose timer starts now. */
  escalateToHuman(esc: EscalationRecord, reason: string, by: string): void {
    const next: EscalationRecord = { ...esc, level: 'human', detail: `${esc.detail}\n\n${by} passed this on: ${reason}`, timeoutAt: this.timeoutAt(esc.type) };
    this.h.ctx.store.tx(() => {
      this.h.ctx.store.saveEscalation(next);
      this.h.ctx.store.log({ missionId: this.h.mission.id, at: this.h.now(), kind: 'escalation', subjectId: esc.id, fromState: 'leader', toState: 'human', detail: { reason } });
    });
    this.track(next);
  }

  private timeoutAt(type: EscalationType): string | null {
    const rule = this.h.mission.settings.escalationTimeouts[type];
    return rule ? new Date(this.h.ctx.clock.now() + rule.afterSec * 1000).toISOString() : null;
  }

  /** Creates an escalation (optionally decided at once, e.g. by the leader's policy). */
  raise(input: RaiseInput): EscalationRecord {
    const at = this.h.now();
    const esc: EscalationRecord = {
      id: `e-${randomUUID()}`,
      missionId: this.h.mission.id,
      teamId: input.teamId,
      agentId: input.agentId,
      taskId: input.taskId,
      type: input.type,
      level: input.level,
      state: input.resolveAs ? 'resolved' : 'open',
      title: input.title,
      detail: input.detail,
      payload: input.payload,
      toolUseId: input.toolUseId ?? null,
      decision: input.resolveAs?.decision ?? null,
      comment: input.resolveAs?.comment ?? null,
      alwaysAllow: false,
      decidedBy: input.resolveAs?.decidedBy ?? null,
      timeoutAt: input.resolveAs || input.level !== 'human' ? null : this.timeoutAt(input.type),
      createdAt: at,
      decidedAt: input.resolveAs ? at : null,
    };
    const agent = input.agentId ? this.h.agents.get(input.agentId) : undefined;
    this.h.ctx.store.tx(() => {
      this.h.ctx.store.saveEscalation(esc);
      this.h.ctx.store.log({ missionId: this.h.mission.id, at, kind: 'escalation', subjectId: esc.id, fromState: null, toState: esc.level, detail: { type: esc.type, title: esc.title } });
      if (input.resolveAs) {
        this.h.ctx.store.log({
          missionId: this.h.mission.id,
          at,
          kind: 'decision',
          subjectId: esc.id,
          fromState: 'open',
          toState: input.resolveAs.decision,
          detail: { by: input.resolveAs.decidedBy, comment: input.resolveAs.comment },
        });
      } else if (agent && BLOCKING.includes(esc.type)) {
        this.h.setAgentState(agent, 'waiting_escalation', esc.id);
      }
    });
    this.track(esc);
    if (esc.state === 'open' && esc.level === 'leader' && esc.teamId) {
      const team = this.h.teams.get(esc.teamId);
      if (team) this.h.wakeLeads(team);
    }
    return esc;
  }

  /** Every change of an escalation goes through here: the indexes, its timer and the events follow it. */
  private track(esc: EscalationRecord): void {
    this.all.set(esc.id, esc);
    if (esc.state === 'open') this.openById.set(esc.id, esc);
    else this.openById.delete(esc.id);
    if (esc.toolUseId) this.byToolUse.set(esc.toolUseId, esc);
    if (esc.agentId && BLOCKING.includes(esc.type)) {
      if (esc.state === 'open') this.blockers.set(esc.agentId, esc);
      else if (this.blockers.get(esc.agentId)?.id === esc.id) this.blockers.delete(esc.agentId);
    }
    this.armTimer(esc);
    this.h.emitEscalation(esc);
    this.h.emitMission();
  }

  /** Arms (or re-arms after a restart) the default-action timer of a human escalation. */
  armTimer(esc: EscalationRecord): void {
    const old = this.timers.get(esc.id);
    if (old !== undefined) {
      this.h.ctx.clock.clearTimeout(old);
      this.timers.delete(esc.id);
    }
    if (esc.state !== 'open' || esc.level !== 'human' || !esc.timeoutAt) return;
    const rule = this.h.mission.settings.escalationTimeouts[esc.type];
    if (!rule) return;
    const delay = Math.max(0, Date.parse(esc.timeoutAt) - this.h.ctx.clock.now());
    this.timers.set(
      esc.id,
      this.h.ctx.clock.setTimeout(() => {
        this.timers.delete(esc.id);
        this.decide(esc.id, { decision: rule.action, comment: `no answer within ${rule.afterSec} s`, decidedBy: 'timeout' }).catch(
          (error: unknown) => this.h.ctx.logError('an escalation timeout', error),
        );
      }, delay),
    );
  }

  /**
   * Records a decision and carries it out. The decision row is written first; what
   * follows (git, restarting agents) can be redone from it after a restart.
   */
  async decide(
    id: string,
    d: DecisionInput,
  ): Promise<EscalationRecord> {
    const esc = this.all.get(id);
    if (!esc) throw new AppError('not_found', `no escalation "${id}" in mission "${this.h.mission.name}"`);
    if (esc.state !== 'open') throw new AppError('conflict', `escalation "${esc.title}" was already ${esc.state === 'resolved' ? `decided (${esc.decision})` : 'cancelled'}`);
    const at = this.h.now();
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
    this.h.ctx.store.tx(() => {
      this.h.ctx.store.saveEscalation(next);
      this.h.ctx.store.log({ missionId: this.h.mission.id, at, kind: 'decision', subjectId: id, fromState: 'open', toState: d.decision, detail: { by: d.decidedBy, comment: next.comment, alwaysAllow: next.alwaysAllow } });
      if (next.alwaysAllow && team && typeof esc.payload.command === 'string') {
        this.h.ctx.store.addTeamRule(this.h.mission.id, team.rec.id, esc.payload.command, id, at);
        this.h.addRule(team.rec.id, esc.payload.command);
      }
      if (esc.type === 'budget' && d.budgetNano !== undefined) {
        this.h.setMissionBudget(d.budgetNano);
      }
    });
    this.track(next);
    await this.applyDecision(next, team);
    return this.all.get(id) ?? next;
  }

  private async applyDecision(esc: EscalationRecord, team: TeamRt | undefined): Promise<void> {
    const raiser = esc.agentId ? this.h.agents.get(esc.agentId) : undefined;
    const guidance = esc.comment ?? '';
    switch (esc.type) {
      case 'question':
      case 'permission':
        if (raiser && raiser.rec.state === 'waiting_escalation') this.h.setAgentState(raiser, 'idle', 'answered');
        break;
      case 'budget':
        if (raiser && raiser.rec.state === 'waiting_escalation') this.h.setAgentState(raiser, 'idle', 'budget decision');
        if (esc.decision === 'deny' && (this.h.mission.state === 'running' || this.h.mission.state === 'planning')) {
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
          else this.h.saveTask(task, { state: 'ready', attempts: 0, feedback: guidance || task.feedback }, { reason: 'retried by the person' });
        }
        break;
      }
      case 'plan_approval':
        if (this.h.mission.state !== 'awaiting_plan_approval') break;
        if (esc.decision === 'approve') this.h.startRunning('approved by the person');
        else if (esc.decision === 'reply') replan(this.h, guidance);
        else this.h.cancel('the person rejected the plan');
        return;
      case 'merge_conflict':
        if (esc.decision === 'deny') {
          this.h.setMissionState('failed', { reason: 'merge conflict not resolved' }, { outcome: `merge conflict: ${String((esc.payload.conflicts as string[] | undefined)?.join(', ') ?? '')}` });
        } else if (esc.payload.stage === 'final') {
          await this.h.finalize();
        } else {
          this.h.integrate();
        }
        return;
      case 'final_merge':
        if (esc.decision === 'approve') await this.h.finalize();
        else {
          this.h.setMissionState('done', { finalMerge: 'declined' }, {
            outcome: `final merge declined; the work stays on ${this.h.workspace?.missionBranch ?? 'the mission branch'}`,
          });
        }
        return;
    }
    if (team) this.h.kick(team);
  }

  private async applyStall(esc: EscalationRecord, team: TeamRt | undefined, raiser: AgentRt | undefined, guidance: string): Promise<void> {
    if (!team) return;
    if (esc.payload.noAgents === true) {
      if (esc.decision === 'deny') {
        this.h.setMissionState('failed', { reason: 'a team had no agents left' }, { outcome: `team ${team.rec.name} had no agents left` });
        return;
      }
      for (const a of team.all) if (a.rec.state === 'killed' || a.rec.state === 'failed') this.h.setAgentState(a, 'idle', 'restarted by the person');
      return;
    }
    if (!raiser) return;
    if (esc.payload.leader === true) {
      this.h.setStallCounter(raiser, 0);
      if (raiser.rec.state === 'waiting_escalation') this.h.setAgentState(raiser, 'idle', 'continue');
      if (esc.decision === 'deny') this.h.pause('the person stopped a stalled leader');
      return;
    }
    const task = esc.taskId ? this.h.tasks.get(esc.taskId) : undefined;
    if (!task) return;
    if (esc.decision === 'deny') {
      this.h.ctx.store.tx(() => {
        this.cascadeDeadLetter(this.h.saveTask(task, { state: 'dead_letter', assignee: null }, { reason: 'stalled; given up by the person' }));
        this.h.setAgentState(raiser, 'idle', null, { currentTaskId: null, turnsWithoutProgress: 0 });
      });
      return;
    }
    const text = guidance || 'You stalled on the previous attempt. Start again, keep it simple, write the files, and call submit_task.';
    await this.h.requireWorkspace().resetCoderToTeam(raiser.rec.id);
    if (!this.h.ctx.store.open) return;
    this.h.ctx.store.tx(() => {
      if (ACTIVE_TASK.includes(task.state)) this.h.saveTask(task, { state: 'ready', assignee: null, feedback: text }, { reason: 'reset after a stall' });
      if (!TERMINAL_AGENT.includes(raiser.rec.state)) this.h.setAgentState(raiser, 'idle', 'reset after a stall', { currentTaskId: null, turnsWithoutProgress: 0 });
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
          this.h.saveTask(t, { state: 'dead_letter' }, { reason: `depends on "${task.key}", which was given up` });
          dead.add(t.key);
          changed = true;
        }
      }
    }
  }

  /** Withdraws an open escalation (its raiser was killed, or the mission cancelled). */
  cancel(esc: EscalationRecord, reason: string): void {
    const next: EscalationRecord = { ...esc, state: 'cancelled', decidedBy: 'engine', decidedAt: this.h.now(), comment: reason };
    this.h.ctx.store.saveEscalation(next);
    this.h.ctx.store.log({ missionId: this.h.mission.id, at: this.h.now(), kind: 'escalation', subjectId: esc.id, fromState: 'open', toState: 'cancelled', detail: { reason } });
    this.track(next);
  }

  /** Asks for permission to run a command; the leader's policy approves it at once when it is on the team's allowlist. */
  raisePermission(team: TeamRt, agent: AgentRt, taskId: string | null, use: RequestToolUseBlock, command: string): EscalationRecord {
    const teamList = this.h.teamAllowlist(team);
    const leaderMayAllow = isCommandAllowed(command, teamList) && team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
    return this.raise({
      type: 'permission',
      level: leaderMayAllow ? 'leader' : 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId,
      title: `${agent.rec.name} asks to run \`${command.slice(0, 200)}\``,
      detail: `The command is not on ${agent.rec.name}'s allowlist.`,
      payload: { command },
      toolUseId: use.id,
      // Already on the team's allowlist: the leader's policy allows it at once.
      resolveAs: leaderMayAllow ? { decision: 'approve', decidedBy: 'leader', comment: 'on the team allowlist' } : undefined,
    });
  }

  /** The escalation a tool use of the agent raised, if any: how a restarted agent finds its answer. */
  forTool(agent: AgentRt, toolUseId: string): EscalationRecord | undefined {
    const blocker = this.blockers.get(agent.rec.id);
    if (blocker?.toolUseId === toolUseId) return blocker;
    const e = this.byToolUse.get(toolUseId);
    return e?.agentId === agent.rec.id ? e : undefined;
  }
}
