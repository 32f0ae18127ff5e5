import { randomUUID } from 'node:crypto';
import type { EscalationType } from '../../../shared/mission.js';
import type { TimerHandle } from '../../limiter/clock.js';
import type { RequestToolUseBlock } from '../../llm/provider.js';
import { escalationView, type EscalationRecord } from '../../ledger/mission-repository.js';
import { BLOCKING, type AgentRt, type DecisionInput, type EngineContext, type RaiseInput, type TeamRt } from '../runtime-types.js';
import type { StateWrites } from '../state-writes.js';
import type { AskVerdict } from './permission-policy.js';

/** What the escalations of a mission read and write besides their own rows (the hub, `mission-runtime.ts`, gives it). */
export interface EscalationsHost {
  readonly ctx: EngineContext;
  readonly agents: ReadonlyMap<string, AgentRt>;
  readonly teams: ReadonlyMap<string, TeamRt>;
  /** The mission as it is now; a blocking escalation sets its raiser waiting through it. */
  readonly writes: StateWrites;
  /** Wakes the agents that answer for a team (its leader, reviewers, researchers). */
  wakeLeads(team: TeamRt): void;
  /** A default-action timer came due: the decision is recorded and applied like any other (`decisions.ts`). */
  onTimeout(id: string, d: DecisionInput): Promise<unknown>;
}

/**
 * A mission's escalations: raising them, the indexes scheduling reads (open ones, who is
 * blocked, which tool use raised which) and the default-action timers. What a decision
 * does is `decisions.ts`; whether a tool use is asked about at all, `permission-policy.ts`.
 * The ledger row is always written first; the rest can be redone from it after a restart.
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

  constructor(private readonly h: EscalationsHost) {}

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

  /** Arms the timer of every open human escalation (a mission just loaded from the ledger). */
  armTimers(): void {
    for (const e of this.all.values()) this.armTimer(e);
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
      this.h.ctx.store.log({ missionId: this.h.writes.mission.id, at: this.h.writes.now(), kind: 'escalation', subjectId: esc.id, fromState: 'leader', toState: 'human', detail: { reason } });
    });
    this.track(next);
  }

  private timeoutAt(type: EscalationType): string | null {
    const rule = this.h.writes.mission.settings.escalationTimeouts[type];
    return rule ? new Date(this.h.ctx.clock.now() + rule.afterSec * 1000).toISOString() : null;
  }

  /** Creates an escalation (optionally decided at once, e.g. by the leader's policy). */
  raise(input: RaiseInput): EscalationRecord {
    const at = this.h.writes.now();
    const esc: EscalationRecord = {
      id: `e-${randomUUID()}`,
      missionId: this.h.writes.mission.id,
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
      this.h.ctx.store.log({ missionId: this.h.writes.mission.id, at, kind: 'escalation', subjectId: esc.id, fromState: null, toState: esc.level, detail: { type: esc.type, title: esc.title } });
      if (input.resolveAs) {
        this.h.ctx.store.log({
          missionId: this.h.writes.mission.id,
          at,
          kind: 'decision',
          subjectId: esc.id,
          fromState: 'open',
          toState: input.resolveAs.decision,
          detail: { by: input.resolveAs.decidedBy, comment: input.resolveAs.comment },
        });
      } else if (agent && BLOCKING.includes(esc.type)) {
        this.h.writes.setAgentState(agent, 'waiting_escalation', esc.id);
      }
    });
    this.track(esc);
    if (esc.state === 'open' && esc.level === 'leader' && esc.teamId) {
      const team = this.h.teams.get(esc.teamId);
      if (team) this.h.wakeLeads(team);
    }
    return esc;
  }

  /**
   * Every change of an escalation goes through here once its row is written (a decision's
   * too, `decisions.ts`): the indexes, its timer and the events follow it.
   */
  track(esc: EscalationRecord): void {
    this.all.set(esc.id, esc);
    if (esc.state === 'open') this.openById.set(esc.id, esc);
    else this.openById.delete(esc.id);
    if (esc.toolUseId) this.byToolUse.set(esc.toolUseId, esc);
    if (esc.agentId && BLOCKING.includes(esc.type)) {
      if (esc.state === 'open') this.blockers.set(esc.agentId, esc);
      else if (this.blockers.get(esc.agentId)?.id === esc.id) this.blockers.delete(esc.agentId);
    }
    this.armTimer(esc);
    this.h.ctx.events.emit('escalations:changed', escalationView(esc), esc.id);
    this.h.writes.emitMission();
  }

  /** Arms (or re-arms after a restart) the default-action timer of a human escalation. */
  armTimer(esc: EscalationRecord): void {
    const old = this.timers.get(esc.id);
    if (old !== undefined) {
      this.h.ctx.clock.clearTimeout(old);
      this.timers.delete(esc.id);
    }
    if (esc.state !== 'open' || esc.level !== 'human' || !esc.timeoutAt) return;
    const rule = this.h.writes.mission.settings.escalationTimeouts[esc.type];
    if (!rule) return;
    const delay = Math.max(0, Date.parse(esc.timeoutAt) - this.h.ctx.clock.now());
    this.timers.set(
      esc.id,
      this.h.ctx.clock.setTimeout(() => {
        this.timers.delete(esc.id);
        this.h.onTimeout(esc.id, { decision: rule.action, comment: `no answer within ${rule.afterSec} s`, decidedBy: 'timeout' }).catch(
          (error: unknown) => this.h.ctx.logError('an escalation timeout', error),
        );
      }, delay),
    );
  }

  /** Withdraws an open escalation (its raiser was killed, or the mission cancelled). */
  cancel(esc: EscalationRecord, reason: string): void {
    const next: EscalationRecord = { ...esc, state: 'cancelled', decidedBy: 'engine', decidedAt: this.h.writes.now(), comment: reason };
    this.h.ctx.store.saveEscalation(next);
    this.h.ctx.store.log({ missionId: this.h.writes.mission.id, at: this.h.writes.now(), kind: 'escalation', subjectId: esc.id, fromState: 'open', toState: 'cancelled', detail: { reason } });
    this.track(next);
  }

  /**
   * Raises what the permission policy asks about for one tool use: the leader's policy
   * allows at once what anyone in the team may run (`ask_leader`, decided as it is raised);
   * a write outside the task's owned paths goes to the leader itself (`ownership`), who
   * allows or refuses it in an escalation job; anything else waits for the person.
   */
  raisePermission(team: TeamRt, agent: AgentRt, taskId: string | null, use: RequestToolUseBlock, ask: AskVerdict): EscalationRecord {
    const { ownership } = ask;
    const leaderAllows = ask.behavior === 'ask_leader' && !ownership;
    return this.raise({
      type: 'permission',
      level: ask.behavior === 'ask_leader' ? 'leader' : 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId,
      title: ownership
        ? `${agent.rec.name} asks to write ${ownership.path.slice(0, 200)}, outside its task's paths`
        : `${agent.rec.name} asks to run \`${ask.subject.slice(0, 200)}\``,
      detail: ownership ? `${ask.reason}.` : `The command is not on ${agent.rec.name}'s allowlist.`,
      payload: { command: ask.subject, ...(ownership ? { ownership } : {}) },
      toolUseId: use.id,
      resolveAs: leaderAllows ? { decision: 'approve', decidedBy: 'leader', comment: 'on the team allowlist' } : undefined,
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

/** Whether the mission waits for the person's answer to a director's draft: no leader plans until then. */
export function awaitingBrief(escalations: Pick<Escalations, 'open'>): boolean {
  for (const e of escalations.open.values()) if (e.type === 'mission_brief') return true;
  return false;
}
