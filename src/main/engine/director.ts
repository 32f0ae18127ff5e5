import { randomUUID } from 'node:crypto';
import type { DecideEscalationRequest } from '../../shared/contract/missions.js';
import { briefPayload, briefProblem, defaultBrief, type MissionBrief, type MissionBriefPayload } from '../../shared/mission-brief.js';
import { AppError } from '../../shared/result.js';
import { DEFAULT_DIRECTOR_MODEL, type TeamDesign } from '../../shared/team.js';
import { GatewayError, type GatewayResult } from '../calls/gateway-types.js';
import type { EscalationRecord, MissionRecord, MissionStore } from '../ledger/mission-repository.js';
import { toRequestBlocks } from './conversation.js';
import type { MissionRuntime } from './mission-runtime.js';
import { errorText, type EngineContext } from './runtime-types.js';
import {
  DIRECTOR_SYSTEM,
  DIRECTOR_TOOL,
  DIRECTOR_TOOL_DEFINITION,
  directorPrompt,
  directorTeams,
  listRepository,
  parseDirectorReply,
} from './director-prompt.js';

/**
 * The director: one model call, before any leader plans, that drafts each team's share of
 * the mission's goal, the phases and the interfaces between teams. It goes through the
 * same gateway, limiter, budgets and calls ledger as every agent (its rows are attributed
 * to the mission, agent `director`, role `director`). Its draft is a `mission_brief`
 * escalation the person edits and approves, or sends back with a comment (the director
 * drafts again, once per send-back). Leaders do not plan while one is open
 * (`awaitingBrief` in escalations/escalations.ts). A malformed reply is a one-line error in the mission log and
 * is retried; after the retries the person gets the briefs' defaults to edit instead.
 */

/** The director's agent id in calls rows, transcripts and the log: not an agent of any team. */
export const DIRECTOR_ID = 'director';
/** Further calls after a malformed reply, before the person is asked to write the brief. */
export const DIRECTOR_RETRIES = 2;
const MAX_TOKENS = 8_192;

/** The director's model for a design. */
export function directorModel(design: TeamDesign): string {
  return design.director?.model ?? DEFAULT_DIRECTOR_MODEL;
}

/**
 * A new `mission_brief` escalation waiting for the director's draft (round 1 at launch,
 * one more per send-back). The caller saves it with its log row, in its transaction.
 */
export function briefRequest(mission: MissionRecord, at: string, round: number, comment: string | null): EscalationRecord {
  const payload: MissionBriefPayload = { status: 'drafting', draft: null, error: null, model: directorModel(mission.design), round, comment };
  return {
    id: `e-${randomUUID()}`,
    missionId: mission.id,
    teamId: null,
    agentId: null,
    taskId: null,
    type: 'mission_brief',
    level: 'human',
    state: 'open',
    title: round === 1 ? "The director's draft of each team's share" : `The director's draft of each team's share (round ${round})`,
    detail: 'The director is drafting each team\'s share of the goal, the phases and the interfaces between teams.',
    payload: { ...payload },
    toolUseId: null,
    decision: null,
    comment: null,
    alwaysAllow: false,
    decidedBy: null,
    timeoutAt: null,
    createdAt: at,
    decidedAt: null,
  };
}

/**
 * Writes the shares (and, from an approved brief, the after lists) to the mission's teams,
 * in the caller's transaction: the ledger's rows, then the loaded runtime's records. An
 * empty or absent share leaves the team's as it was (its leader plans from its brief).
 * Which teams may plan then is `openReadyTeams`' decision (phase-runner.ts), not this one's.
 */
export function writeShares(store: MissionStore, missionId: string, shares: Record<string, string>, after: Record<string, string[]> | null, rt?: MissionRuntime): void {
  for (const team of store.teams(missionId)) {
    const given = shares[team.id]?.trim() ?? '';
    const share = given === '' ? team.share : given;
    if (share !== team.share) store.setTeamShare(missionId, team.id, share);
    const nextAfter = after ? (after[team.id] ?? []) : team.after;
    if (after) store.setTeamAfter(missionId, team.id, nextAfter);
    const loaded = rt?.teams.get(team.id);
    if (loaded) loaded.rec = { ...loaded.rec, share, after: nextAfter };
  }
}

/** Each team's share as its leader reads it: the agreed interfaces between teams follow the share. */
export function withInterfaces(brief: MissionBrief): Record<string, string> {
  const interfaces = brief.interfaces.trim();
  if (interfaces === '') return brief.shares;
  return Object.fromEntries(Object.entries(brief.shares).map(([id, share]) => [id, `${share.trim()}\n\nInterfaces between teams:\n${interfaces}`]));
}

/** The director of one loaded mission: runs its drafts and carries out the person's answers. */
export class Director {
  /** Drafts being written, by escalation id: one call chain per draft. */
  private readonly running = new Map<string, Promise<void>>();
  /** Aborts the calls in flight when the engine closes. */
  private readonly abort = new AbortController();

  constructor(private readonly ctx: EngineContext) {}

  private now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }

  /** Starts the draft of every open brief still waiting for the director (after a start, a resume, a send-back). */
  resume(rt: MissionRuntime): void {
    for (const e of rt.escalations.open.values()) {
      if (e.type !== 'mission_brief' || briefPayload(e.payload)?.status !== 'drafting' || this.running.has(e.id)) continue;
      const run = this.draft(rt, e).finally(() => this.running.delete(e.id));
      this.running.set(e.id, run);
    }
  }

  /** Resolves when every draft in flight is written (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.running.values());
  }

  /** Aborts every call in flight (the engine closes); their briefs stay `drafting` for the next resume. */
  dispose(): void {
    this.abort.abort();
  }

  /** Whether a draft is being written. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /**
   * One draft: up to 1 + {@link DIRECTOR_RETRIES} calls until a reply is valid, each
   * malformed reply a one-line error in the mission log. Ends with the draft in the
   * escalation (status `ready`) or, after the retries or a refused call, the briefs'
   * defaults for the person to edit (status `failed`, with the error).
   */
  private async draft(rt: MissionRuntime, esc: EscalationRecord): Promise<void> {
    const { ctx } = this;
    const mission = rt.mission;
    const teams = directorTeams(mission.design.teams);
    const asked = briefPayload(esc.payload);
    const previous = [...rt.escalations.all.values()]
      .filter((e) => e.type === 'mission_brief' && e.state === 'resolved' && e.id !== esc.id)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1);
    const listing = await listRepository(mission.repoPath, mission.baseBranch);
    const prompt = directorPrompt({
      goal: mission.goal,
      teams,
      files: listing.files,
      moreFiles: listing.more,
      comment: asked?.comment ?? null,
      previous: previous ? briefPayload(previous.payload)?.draft ?? null : null,
    });
    const model = directorModel(mission.design);
    const round = asked?.round ?? 1;
    let lastError = '';
    for (let attempt = 1; attempt <= 1 + DIRECTOR_RETRIES; attempt += 1) {
      if (!this.stillWaiting(rt, esc.id)) return;
      let result: GatewayResult;
      try {
        result = await ctx.gateway.call(
          {
            model,
            system: DIRECTOR_SYSTEM,
            messages: [{ role: 'user', content: prompt }],
            tools: [DIRECTOR_TOOL_DEFINITION],
            tool_choice: { type: 'tool', name: DIRECTOR_TOOL },
            max_tokens: MAX_TOKENS,
          },
          { missionId: mission.id, teamId: null, agentId: DIRECTOR_ID, role: 'director', taskId: null },
          { signal: this.abort.signal, onStored: (stored) => this.storeExchange(mission.id, round, attempt, prompt, stored) },
        );
      } catch (error) {
        if (!ctx.store.open) return;
        // Shutting down: the brief stays `drafting` and the next resume drafts it again.
        if (error instanceof GatewayError && error.kind === 'aborted') return;
        lastError = `the director's call failed: ${errorText(error).slice(0, 300)}`;
        this.note(mission.id, esc.id, { director: 'failed', attempt, error: lastError });
        break;
      }
      if (!ctx.store.open) return;
      const reply = parseDirectorReply(result.message.content, teams);
      if (reply.ok) {
        this.finish(rt, esc.id, { status: 'ready', draft: reply.brief, error: null }, `The director drafted each team's share (attempt ${attempt}).`);
        return;
      }
      lastError = reply.error;
      this.note(mission.id, esc.id, { director: 'malformed', attempt, error: reply.error, retry: attempt <= DIRECTOR_RETRIES });
    }
    this.finish(
      rt,
      esc.id,
      { status: 'failed', draft: defaultBrief(mission.design.teams), error: lastError },
      `The director could not draft the brief (${lastError}). The shares below come from the team briefs: edit them and approve, or send the draft back to try again.`,
    );
  }

  /** The director's prompt and reply, in its call's transaction, as a transcript a person can read. */
  private storeExchange(missionId: string, round: number, attempt: number, prompt: string, result: GatewayResult): void {
    const at = this.now();
    const conversation = `brief:r${round}:a${attempt}`;
    const base = { missionId, agentId: DIRECTOR_ID, conversation, kind: 'message' as const, at };
    this.ctx.store.appendTranscript({ ...base, seq: 0, message: { role: 'user', content: prompt } });
    const { blocks } = toRequestBlocks(result.message.content);
    this.ctx.store.appendTranscript({
      ...base,
      seq: 1,
      message: { role: 'assistant', content: blocks },
      inputTokens: result.usage.input_tokens,
      outputTokens: result.usage.output_tokens,
    });
  }

  private stillWaiting(rt: MissionRuntime, id: string): boolean {
    return this.ctx.store.open && rt.escalations.open.has(id);
  }

  private note(missionId: string, subjectId: string, detail: Record<string, unknown>): void {
    this.ctx.store.log({ missionId, at: this.now(), kind: 'note', subjectId, fromState: null, toState: null, detail });
  }

  /** The draft (or the failure) goes into the escalation the person answers. */
  private finish(rt: MissionRuntime, id: string, outcome: Pick<MissionBriefPayload, 'status' | 'draft' | 'error'>, detail: string): void {
    const esc = rt.escalations.open.get(id);
    // The person may have approved their own brief, or cancelled the mission, meanwhile.
    if (!esc || !this.ctx.store.open) return;
    const next: EscalationRecord = { ...esc, detail, payload: { ...esc.payload, ...outcome } };
    this.ctx.store.tx(() => {
      this.ctx.store.saveEscalation(next);
      this.ctx.store.log({ missionId: esc.missionId, at: this.now(), kind: 'escalation', subjectId: id, fromState: 'drafting', toState: outcome.status, detail: outcome.error ? { error: outcome.error } : {} });
    });
    rt.escalations.track(next);
  }

  /**
   * The person's answer to a draft. Approve writes the brief (as edited, if `request.brief`
   * is given) to the teams and lets the leaders plan; deny or reply sends it back: the
   * director drafts again with the comment.
   */
  async decide(rt: MissionRuntime, request: DecideEscalationRequest): Promise<EscalationRecord> {
    const esc = rt.escalations.all.get(request.id);
    if (!esc || esc.type !== 'mission_brief') throw new AppError('internal', `escalation "${request.id}" is not a director's draft`);
    const payload = briefPayload(esc.payload);
    const { store } = this.ctx;
    if (request.decision !== 'approve') {
      const comment = request.comment.trim();
      const recorded = store.tx(() => {
        const decided = rt.decisions.record(request.id, { decision: request.decision, comment, decidedBy: 'human' });
        const again = briefRequest(rt.mission, this.now(), (payload?.round ?? 1) + 1, comment === '' ? null : comment);
        store.saveEscalation(again);
        store.log({ missionId: rt.mission.id, at: again.createdAt, kind: 'escalation', subjectId: again.id, fromState: null, toState: 'human', detail: { type: again.type, title: again.title } });
        return { decided, again };
      });
      rt.escalations.track(recorded.again);
      if (rt.mission.state !== 'draft') this.resume(rt);
      return recorded.decided;
    }
    const brief: MissionBrief | null = request.brief ?? payload?.draft ?? null;
    if (!brief) throw new AppError('conflict', "the director has not drafted the brief yet; wait for its draft, or write each team's share and approve with it");
    const problem = briefProblem(brief, rt.mission.design.teams);
    if (problem) throw new AppError('invalid_request', `the brief cannot be approved: ${problem}`);
    const decided = store.tx(() => {
      const recorded = rt.decisions.record(request.id, { decision: 'approve', comment: request.comment, decidedBy: 'human' });
      // The approved brief, as edited, is what the escalation keeps: the ledger shows what the leaders planned from.
      const next: EscalationRecord = { ...recorded, payload: { ...recorded.payload, approved: brief } };
      store.saveEscalation(next);
      writeShares(store, rt.mission.id, withInterfaces(brief), brief.after, rt);
      store.log({ missionId: rt.mission.id, at: this.now(), kind: 'note', subjectId: request.id, fromState: null, toState: null, detail: { brief: 'approved', edited: request.brief !== undefined, interfaces: brief.interfaces } });
      return next;
    });
    rt.escalations.track(decided);
    if (rt.mission.state === 'draft') return decided;
    // The approved phases decide which teams plan first (a draft mission decides at its start).
    await rt.openReadyTeams("the director's brief was approved");
    if (rt.mission.state === 'planning') rt.kickAll();
    return decided;
  }
}
