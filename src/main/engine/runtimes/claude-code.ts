import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { agentRuntime, defaultClaudeCodeSpec, type ClaudeCodeSpec } from '../../../shared/team.js';
import type { AgentSessionsRepository } from '../../ledger/agent-sessions.js';
import type { CallUsage } from '../../ledger/calls-repository.js';
import type { CallAttribution, GatewayError } from '../../calls/gateway-types.js';
import type { ConversationMessage, RequestContentBlock, RequestToolUseBlock } from '../../llm/provider.js';
import type { EscalationRecord } from '../../ledger/mission-repository.js';
import { Halt, TERMINAL_AGENT, errorText, type AgentRt, type LoopEnd } from '../runtime-types.js';
import { parseToolCall, toolDefinitions } from '../../tools/agent-tools.js';
import type { AgentHost, AgentJob, AgentRuntimeDriver } from './agent-runtime.js';
import { decide, isAsk, permissionSubject } from '../escalations/permission-policy.js';
import { raiseBudget } from './built-in.js';
import { decideToolUse } from './claude-code-policy.js';
import {
  ORCHESTRATION_PREFIX,
  runClaudeCodeSession,
  type ClaudeCodeSessionEnd,
  type OrchestrationTool,
  type PermissionAnswer,
} from './claude-code-session.js';

/**
 * The Claude Code runtime: an agent's job runs as a Claude Code session in the agent's
 * worktree. Claude Code brings its own tools (Read, Edit, Bash…, policed by
 * the engine's one permission policy through `claude-code-policy.ts`), CLAUDE.md and compaction; Control Room's tools of the job
 * (create_task, submit_task, ask_leader, approve_submission…) reach it over an in-process
 * MCP server and run through the job's `handle`, exactly as a built-in agent's do, so plans,
 * reviews, merges and escalations are the same rows whichever runtime an agent has.
 *
 * Every model call of the session goes to Control Room's loopback gateway with a token
 * issued for this agent: the shared limiter, budget admission and a ledger row per attempt
 * apply to it like to any built-in call.
 */

/** Control Room tools a Claude Code session is given (the file and command tools are Claude Code's own). */
const ORCHESTRATION = new Set([
  'create_task',
  'submit_plan',
  'submit_task',
  'ask_leader',
  'approve_submission',
  'reject_submission',
  'answer_coder',
  'escalate_to_human',
  'submit_resolution',
  'give_up_resolution',
]);

/** How often a session waiting on an escalation looks at it again (an in-memory map read). */
const DECISION_POLL_MS = 100;
/** How long a session whose job has ended may take for its closing turn before it is stopped. */
const WIND_DOWN_MS = 60_000;
/** Times a session that ends its turn without finishing the job is told to go on. */
const MAX_NUDGES = 2;

const NUDGE = `Your job is not finished: carry on, and end it with Control Room's tool (${ORCHESTRATION_PREFIX}…) as your brief says.`;
const RESUMED = 'Control Room stopped this session and has resumed it. Carry on with your job where you left off.';

/** What a call through the gateway reports to the agent it belongs to. */
export interface GatewayCallReport {
  usage: CallUsage | undefined;
  costNano: number;
}

/** The part of the loopback gateway this runtime uses (see `llm/gateway-server.ts`). */
export interface AgentGateway {
  readonly url: string;
  issue(who: CallAttribution, hooks?: { onRecorded?(call: GatewayCallReport): void; onRefused?(error: GatewayError): void }): string;
  revoke(token: string): void;
}

/** What the engine gives the Claude Code runtime. */
export interface ClaudeCodeEnvironment {
  /** The gateway, started on first use. */
  gateway(): Promise<AgentGateway>;
  /** Claude Code's binary, or null when it is not installed for this platform. */
  binaryPath: string | null;
  /** One line: why Claude Code cannot start now (no binary, the simulated provider), or null. Asked per job: Settings may switch the provider. */
  unavailable(): string | null;
  /** CLAUDE_CONFIG_DIR for every session (where they are stored and resumed from). */
  configDir: string;
  sessions: AgentSessionsRepository;
}

/** The design's Claude Code settings of an agent, or its role's defaults. */
export function claudeCodeSpecOf(agent: AgentRt): ClaudeCodeSpec {
  return agent.spec?.claudeCode ?? defaultClaudeCodeSpec(agent.rec.role);
}

/** Whether an agent runs on Claude Code. */
export function runsOnClaudeCode(agent: AgentRt): boolean {
  return agent.spec !== undefined && agentRuntime(agent.spec) === 'claude-code';
}

function text(content: ConversationMessage['content']): string {
  return typeof content === 'string' ? content : content.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
}

/** Claude Code's assistant content as transcript blocks (thinking and server tools are not kept). */
function assistantBlocks(content: readonly unknown[]): RequestContentBlock[] {
  const out: RequestContentBlock[] = [];
  for (const raw of content) {
    const b = raw as { type?: string; text?: string; id?: string; name?: string; input?: unknown };
    if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') out.push({ type: 'text', text: b.text });
    if (b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string') {
      out.push({ type: 'tool_use', id: b.id, name: b.name, input: (b.input ?? {}) as Record<string, unknown> });
    }
  }
  return out;
}

/** Claude Code's tool results as transcript blocks. */
function resultBlocks(content: unknown): RequestContentBlock[] {
  if (!Array.isArray(content)) return [];
  const out: RequestContentBlock[] = [];
  for (const raw of content) {
    const b = raw as { type?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };
    if (b.type !== 'tool_result' || typeof b.tool_use_id !== 'string') continue;
    const body =
      typeof b.content === 'string'
        ? b.content
        : Array.isArray(b.content)
          ? b.content.map((c: { type?: string; text?: string }) => (c.type === 'text' ? (c.text ?? '') : `[${c.type ?? 'block'}]`)).join('\n')
          : '';
    out.push({ type: 'tool_result', tool_use_id: b.tool_use_id, content: body, ...(b.is_error ? { is_error: true } : {}) });
  }
  return out;
}

/** Whether Claude Code still has a stored session to resume (it keeps them as JSONL per project). */
function sessionStored(configDir: string, sessionId: string): boolean {
  const projects = join(configDir, 'projects');
  if (!existsSync(projects)) return false;
  return readdirSync(projects).some((p) => existsSync(join(projects, p, `${sessionId}.jsonl`)));
}

/** See the file comment. One instance per mission, shared by its Claude Code agents. */
export class ClaudeCodeDriver implements AgentRuntimeDriver {
  constructor(
    private readonly host: AgentHost,
    private readonly env: ClaudeCodeEnvironment,
  ) {}

  async run(job: AgentJob): Promise<LoopEnd> {
    const { team, agent, conv } = job;
    const h = this.host;
    h.ensureRunnable(agent);
    const unavailable = this.env.unavailable() ?? (this.env.binaryPath ? null : "Claude Code's binary is not installed for this platform");
    if (unavailable || !this.env.binaryPath) throw new Error(`Claude Code cannot run here: ${unavailable ?? 'no binary'}`);
    const key = { missionId: h.mission.id, agentId: agent.rec.id, conversation: conv.key };
    const previous = this.env.sessions.get(key.missionId, key.agentId, key.conversation);
    let resume: string | undefined;
    if (previous) {
      if (!sessionStored(this.env.configDir, previous.sessionId)) {
        const reason = `its Claude Code session ${previous.sessionId} cannot be resumed: Claude Code has no record of it`;
        this.env.sessions.ended(key, 'lost', h.now(), reason);
        throw new Error(reason);
      }
      resume = previous.sessionId;
    }

    const gateway = await this.env.gateway();
    h.ensureRunnable(agent);
    const spec = claudeCodeSpecOf(agent);
    const cwd = h.workdir(job);
    const abort = new AbortController();
    agent.abort = abort;
    let ended = false;
    let blocked = false;
    let halted: string | null = null;
    const stop = (why: string): void => {
      halted ??= why;
      abort.abort();
    };

    const who: CallAttribution = { missionId: h.mission.id, teamId: team.rec.id, agentId: agent.rec.id, role: agent.rec.role, taskId: job.taskId };
    const token = gateway.issue(who, {
      onRecorded: ({ usage, costNano }) => {
        if (usage) {
          agent.usage.input += usage.inputTokens + usage.cacheCreation5mTokens + usage.cacheCreation1hTokens + usage.cacheReadTokens;
          agent.usage.output += usage.outputTokens;
        }
        agent.usage.cost += costNano;
      },
      onRefused: (error) => {
        if (error.kind !== 'budget_exceeded' || blocked) return;
        // As a built-in agent does: the person raises the budget (approve) or pauses the mission.
        blocked = true;
        raiseBudget(h, team, agent, job.taskId, error);
        abort.abort();
      },
    });

    // Stopping the agent (a kill, a pause, a refused budget) takes its token at once: the SDK
    // gives Claude Code a ~2 s grace to exit after its stdin closes, and the call in flight
    // must not stream (and bill) on meanwhile. It is cut now, billed for what arrived.
    // When it was stopped is when it stopped hearing answers (its end is recorded once the process is gone).
    let stoppedAt: string | null = null;
    abort.signal.addEventListener(
      'abort',
      () => {
        stoppedAt ??= h.now();
        gateway.revoke(token);
      },
      { once: true },
    );

    let endJob = (): void => undefined;
    const jobEnded = new Promise<null>((resolve) => {
      endJob = () => resolve(null);
    });
    const tools = this.orchestrationTools(job, () => {
      ended = true;
      endJob();
    });
    const transcript = new TranscriptWriter(h, agent, conv);
    // Asked per tool use: a rule the person adds meanwhile ("always allow") applies at once.
    const policyOf = () => h.policyFor(job, cwd);

    let nudges = 0;
    const stderrTail: string[] = [];
    // Permissions decided while the session was gone (it stopped waiting for them): the
    // resumed session hears the answers, and an approval holds for one use of that command
    // (Claude Code records such a use as interrupted, so the model asks again).
    const unheard = resume ? this.unheardPermissions(job, previous?.endedAt ?? null) : [];
    const granted = new Map<string, number>();
    for (const e of unheard) {
      const command = String(e.payload.command ?? '');
      if (e.decision === 'approve') granted.set(command, (granted.get(command) ?? 0) + 1);
    }
    let prompt = resume ? resumePrompt(unheard) : text(conv.messages[0]?.content ?? '');
    prompt = h.withMessages?.(agent, conv, prompt) ?? prompt;
    let windingDown = false;
    try {
      for (;;) {
        h.setAgentState(agent, 'working');
        const session = runClaudeCodeSession({
          binaryPath: this.env.binaryPath,
          cwd,
          model: agent.rec.model,
          systemPrompt: `${h.systemPrompt(agent, team)}\n\n${RUNTIME_NOTE}`,
          prompt,
          tools: spec.allowedTools,
          orchestration: tools,
          mcpServers: spec.mcpServers,
          gateway: { url: gateway.url, token },
          configDir: this.env.configDir,
          resume,
          maxTurns: h.mission.settings.maxTurnsPerJob,
          signal: abort.signal,
          policy: (name, input) => {
            if (!this.runnable(agent)) {
              stop('the mission or the agent stopped');
              return { behavior: 'deny', reason: 'Control Room stopped this agent' };
            }
            if (ended && !name.startsWith(ORCHESTRATION_PREFIX)) {
              return { behavior: 'deny', reason: 'this job is over; end your turn' };
            }
            const verdict = decideToolUse(policyOf(), name, input);
            if (verdict.behavior !== 'ask') return verdict;
            const command = permissionSubject(cwd, name, input);
            const left = granted.get(command) ?? 0;
            if (left === 0) return verdict;
            granted.set(command, left - 1);
            return { behavior: 'allow' };
          },
          askPermission: (request, signal) => {
            // The tool use that waits is in the transcript while it waits (and after a crash).
            transcript.flush();
            return this.askPermission(job, cwd, request, signal);
          },
          onMessage: (message) => {
            if (message.type === 'system' && message.subtype === 'init') {
              resume = message.session_id;
              this.env.sessions.started({ ...key, runtime: 'claude-code', sessionId: message.session_id, startedAt: h.now() });
            }
            transcript.write(message);
            if (!this.runnable(agent)) stop('the mission or the agent stopped');
          },
          // Claude Code's diagnostics: kept to explain a failure, not logged line by line.
          onStderr: (line) => {
            stderrTail.push(line);
            if (stderrTail.length > 5) stderrTail.shift();
          },
        });
        const end: ClaudeCodeSessionEnd | null = await Promise.race([session, jobEnded]);
        if (end === null) {
          // A Control Room tool ended the job (a submit, a verdict): the job is over now, as a
          // built-in agent's is, so the team moves on; the session's closing turn is still
          // recorded and billed, and it is stopped if it does not end by itself.
          windingDown = true;
          void this.windDown(session, { agent, abort, transcript, key, revoke: () => gateway.revoke(token) });
          return 'ended';
        }
        transcript.flush();
        if (end.outcome === 'aborted') {
          this.env.sessions.ended(key, 'aborted', stoppedAt ?? h.now());
          if (blocked) return 'blocked';
          throw new Halt(halted ?? 'the Claude Code session was stopped');
        }
        if (end.outcome === 'error') {
          if (/error_max_turns/.test(end.error ?? '')) {
            this.env.sessions.ended(key, 'completed', h.now(), end.error ?? null);
            return 'stalled';
          }
          this.env.sessions.ended(key, 'error', h.now(), end.error ?? null);
          h.ensureRunnable(agent);
          const reason = end.error ?? 'no reason given';
          // The SDK often quotes Claude Code's stderr itself: the last line is added only when it says more.
          const detail = stderrTail.at(-1)?.trim();
          throw new Error(`Claude Code failed: ${reason}${detail && !reason.includes(detail) ? ` (${detail})` : ''}`);
        }
        this.env.sessions.ended(key, 'completed', h.now());
        if (ended) return 'ended';
        h.ensureRunnable(agent);
        // The model ended its turn without finishing the job: say so, like the built-in nudge.
        if (nudges >= MAX_NUDGES) return 'stalled';
        nudges += 1;
        prompt = h.withMessages?.(agent, conv, NUDGE) ?? NUDGE;
      }
    } finally {
      if (!windingDown) {
        transcript.flush();
        gateway.revoke(token);
        if (agent.abort === abort) agent.abort = null;
      }
    }
  }

  /** Lets an ended job's session finish its closing turn (at most `WIND_DOWN_MS`), then records how it ended. */
  private async windDown(
    session: Promise<ClaudeCodeSessionEnd>,
    s: { agent: AgentRt; abort: AbortController; transcript: TranscriptWriter; key: { missionId: string; agentId: string; conversation: string }; revoke(): void },
  ): Promise<void> {
    const { clock } = this.host.ctx;
    const timer = clock.setTimeout(() => s.abort.abort(), WIND_DOWN_MS);
    const end = await session;
    clock.clearTimeout(timer);
    s.transcript.flush();
    s.revoke();
    if (s.agent.abort === s.abort) s.agent.abort = null;
    if (!this.host.ctx.store.open) return;
    try {
      this.env.sessions.ended(s.key, end.outcome === 'error' ? 'error' : 'completed', this.host.now(), end.error ?? null);
    } catch (error) {
      this.host.ctx.logError(`recording the end of ${s.agent.rec.name}'s session`, error);
    }
  }

  /**
   * The permission requests of this job that were decided but whose session never heard
   * the answer: their tool uses have no result in the transcript (the app died while they
   * waited), or were decided after the session was stopped (Claude Code then records the
   * use as failed: the permission stream closed).
   */
  private unheardPermissions(job: AgentJob, sessionEndedAt: string | null): EscalationRecord[] {
    const uses: string[] = [];
    const answered = new Set<string>();
    for (const m of job.conv.messages) {
      if (typeof m.content === 'string') continue;
      for (const b of m.content) {
        if (b.type === 'tool_use') uses.push(b.id);
        else if (b.type === 'tool_result') answered.add(b.tool_use_id);
      }
    }
    const out: EscalationRecord[] = [];
    for (const id of uses) {
      const esc = this.host.escalationForTool(job.agent, id);
      if (esc?.type !== 'permission' || esc.state !== 'resolved') continue;
      const decidedLater = sessionEndedAt !== null && esc.decidedAt !== null && esc.decidedAt >= sessionEndedAt;
      if (!answered.has(id) || decidedLater) out.push(esc);
    }
    return out;
  }

  private runnable(agent: AgentRt): boolean {
    try {
      this.host.ensureRunnable(agent);
      return true;
    } catch {
      return false;
    }
  }

  /** The job's Control Room tools as MCP tools that run through the job's handler. */
  private orchestrationTools(job: AgentJob, onEnd: () => void): OrchestrationTool[] {
    const definitions = new Map(toolDefinitions(job.tools).map((d) => [d.name, d.description ?? d.name]));
    return Object.entries(job.tools)
      .filter(([name]) => ORCHESTRATION.has(name))
      .map(([name, schema]) => ({
        name,
        description: definitions.get(name) ?? name,
        schema,
        run: async (input, toolUseId) => {
          const use: RequestToolUseBlock = { type: 'tool_use', id: toolUseId, name, input };
          const parsed = parseToolCall(job.tools, name, input);
          if (!parsed.ok) return { content: parsed.error, isError: true };
          for (;;) {
            this.host.ensureRunnable(job.agent);
            const outcome = await job.handle(use, parsed.input);
            if (outcome.block) {
              // A built-in agent's job ends here and restarts once the escalation is decided;
              // a session simply waits for the answer, then asks its handler again.
              await this.waitForDecision(job.agent, toolUseId);
              continue;
            }
            if (outcome.progress) this.host.setStallCounter(job.agent, 0);
            if (outcome.end) onEnd();
            return {
              content: outcome.end && !outcome.isError ? `${outcome.content} This job is done: end your turn now.` : outcome.content,
              ...(outcome.isError ? { isError: true } : {}),
            };
          }
        },
      }));
  }

  /** Waits until the escalation a tool use raised is decided (by the leader, the person or a timeout). */
  private async waitForDecision(agent: AgentRt, toolUseId: string, signal?: AbortSignal): Promise<void> {
    const { clock } = this.host.ctx;
    for (;;) {
      const esc = this.host.escalationForTool(agent, toolUseId);
      if (!esc || esc.state !== 'open') {
        if (!TERMINAL_AGENT.includes(agent.rec.state)) this.host.setAgentState(agent, 'working');
        return;
      }
      if (signal?.aborted) throw new Halt('the session stopped while it waited for a decision');
      this.host.ensureRunnable(agent);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, DECISION_POLL_MS));
    }
  }

  /** A tool use outside the agent's policy: an inbox item (or the leader's decision), then the answer. */
  private async askPermission(
    job: AgentJob,
    cwd: string,
    request: { toolName: string; input: Record<string, unknown>; toolUseId: string | undefined; reason: string },
    signal: AbortSignal,
  ): Promise<PermissionAnswer> {
    const { team, agent } = job;
    const h = this.host;
    const toolUseId = request.toolUseId ?? `cc_perm_${Date.now().toString(36)}`;
    const use: RequestToolUseBlock = { type: 'tool_use', id: toolUseId, name: request.toolName, input: request.input };
    let esc = h.escalationForTool(agent, toolUseId);
    if (!esc) {
      // canUseTool asked the policy a moment ago, with nothing in between: this is its ask,
      // and it names who answers (the leader's policy at once, or the person).
      const verdict = decide({ tool: request.toolName, input: request.input }, h.policyFor(job, cwd));
      if (!isAsk(verdict)) return verdict.behavior === 'allow' ? { allow: true } : { allow: false, message: verdict.reason };
      esc = h.raisePermission(team, agent, job.taskId, use, verdict);
    }
    if (esc.state === 'open') {
      h.setAgentState(agent, 'waiting_escalation', request.reason);
      try {
        await this.waitForDecision(agent, toolUseId, signal);
      } catch (error) {
        if (error instanceof Halt) return { allow: false, message: 'Control Room stopped this agent.' };
        throw error;
      }
      esc = h.escalationForTool(agent, toolUseId) ?? esc;
    }
    if (esc.state === 'resolved' && esc.decision === 'approve') return { allow: true };
    const comment = esc.comment ? ` Their comment: ${esc.comment}` : '';
    // A write outside the task's paths may be refused by the leader itself (the ownership policy 'ask_leader').
    const who = esc.decidedBy === 'leader' ? 'Your leader' : 'The person';
    return { allow: false, message: `${who} did not allow this (${request.reason}).${comment}` };
  }
}

/** The first message of a resumed session: carry on, and the answers it did not hear. */
function resumePrompt(unheard: readonly EscalationRecord[]): string {
  const lines = unheard.map((e) => {
    const command = String(e.payload.command ?? '');
    const comment = e.comment ? ` Their comment: ${e.comment}` : '';
    return e.decision === 'approve'
      ? `- \`${command}\`: approved after your session stopped, so it did not run. Run it again if you still need it; it will not be asked about again.${comment}`
      : `- \`${command}\`: not allowed.${comment}`;
  });
  return lines.length === 0 ? RESUMED : `${RESUMED}\nWhat was decided about your permission requests while you were stopped:\n${lines.join('\n')}`;
}

/** Told to every Claude Code agent after its role's prompt: how Control Room's brief maps onto Claude Code. */
const RUNTIME_NOTE = [
  'You run as a Claude Code session inside Control Room, which supervises a team of agents.',
  `Control Room's tools are the MCP tools named ${ORCHESTRATION_PREFIX}<name>: where your brief names a tool such as submit_task or create_task, call that one.`,
  "Where the brief speaks of file tools and run_command, use Claude Code's own tools (Read, Edit, Write, Bash…) in your working directory.",
  'A command or a file outside what you are allowed is sent to a person for approval: wait for the answer, and respect a refusal.',
].join('\n');

/**
 * Writes a session's messages into the job's transcript, the same rows a built-in agent's
 * turns are: assistant blocks of one API message (Claude Code streams them one by one) are
 * joined; tool results follow; Claude Code's compaction is a visible note in the transcript
 * and a row in the mission log.
 */
class TranscriptWriter {
  private pending: { id: string; blocks: RequestContentBlock[]; usage: { inputTokens: number; outputTokens: number } } | null = null;

  constructor(
    private readonly host: AgentHost,
    private readonly agent: AgentRt,
    private readonly conv: AgentJob['conv'],
  ) {}

  write(message: SDKMessage): void {
    if (message.type === 'assistant') {
      if (message.parent_tool_use_id) return;
      const m = message.message as { id?: string; content?: unknown[]; usage?: { input_tokens?: number; output_tokens?: number } };
      const id = m.id ?? '';
      if (this.pending && this.pending.id !== id) this.flush();
      this.pending ??= { id, blocks: [], usage: { inputTokens: m.usage?.input_tokens ?? 0, outputTokens: m.usage?.output_tokens ?? 0 } };
      this.pending.blocks.push(...assistantBlocks(m.content ?? []));
      return;
    }
    if (message.type === 'user') {
      if (message.parent_tool_use_id || ('isReplay' in message && message.isReplay)) return;
      const blocks = resultBlocks((message.message as { content?: unknown }).content);
      this.flush();
      if (blocks.length > 0) this.append({ role: 'user', content: blocks });
      return;
    }
    if (message.type === 'system' && message.subtype === 'compact_boundary') {
      this.flush();
      const meta = message.compact_metadata;
      this.append({ role: 'user', content: `[Claude Code compacted this conversation (${meta.trigger}): ${meta.pre_tokens} tokens before]` });
      this.host.ctx.store.log({
        missionId: this.host.mission.id,
        at: this.host.now(),
        kind: 'note',
        subjectId: this.agent.rec.id,
        fromState: null,
        toState: null,
        detail: { compacted: this.conv.key, by: 'claude-code', trigger: meta.trigger, preTokens: meta.pre_tokens },
      });
    }
  }

  flush(): void {
    const p = this.pending;
    this.pending = null;
    if (p && p.blocks.length > 0) this.append({ role: 'assistant', content: p.blocks }, p.usage);
  }

  private append(message: ConversationMessage, usage?: { inputTokens: number; outputTokens: number }): void {
    const { store } = this.host.ctx;
    if (!store.open) return;
    try {
      store.tx(() => this.host.appendMessage(this.agent, this.conv, message, usage));
    } catch (error) {
      this.host.ctx.logError(`transcript of ${this.agent.rec.name}`, new Error(errorText(error)));
    }
  }
}

