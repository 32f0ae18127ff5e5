import { findModel } from '../../../shared/models.js';
import type { Clock } from '../../limiter/clock.js';
import { GatewayError, type GatewayResult } from '../../calls/gateway-types.js';
import type { ConversationMessage, MessagesRequest, RequestToolResultBlock, RequestToolUseBlock } from '../../llm/provider.js';
import { renderForSummary, toRequestBlocks, withCacheBreakpoints, type CachePlan, type Conversation } from '../conversation.js';
import { COMPACTION_SYSTEM, projectMemorySection } from '../prompts.js';
import { readProjectMemory } from '../project-memory.js';
import { Halt, TERMINAL_AGENT, type AgentRt, type LoopEnd, type TeamRt, type ToolOutcome } from '../runtime-types.js';
import { parseToolCall, toolDefinitions, type ToolSet } from '../../tools/agent-tools.js';
import type { AgentHost, AgentJob, AgentRuntimeDriver } from './agent-runtime.js';

/** What an agent is told after a turn without a tool call. */
export const NUDGE = 'Continue with the tools. Your turn produced no tool call.';
const SUMMARY_MARKER = '\n\n[Summary of your earlier work in this conversation]\n';

/**
 * The built-in runtime: the engine itself calls the model through the gateway (limiter,
 * budgets, the calls ledger), one turn at a time, and carries out the tool calls of each
 * reply through the job's `handle`.
 */
export class BuiltInDriver implements AgentRuntimeDriver {
  /** Each team's CLAUDE.md section, read once: a stable system prompt stays in the prompt cache. */
  private readonly memory = new Map<string, string>();

  constructor(protected readonly host: AgentHost) {}

  /**
   * The repository's CLAUDE.md as the team's worktree has it (where Claude Code agents
   * read theirs), for the system prompt; '' without one or without a workspace yet.
   */
  protected projectMemory(team: TeamRt, agent: AgentRt): string {
    const key = `${this.host.mission.id}/${team.rec.id}`;
    const cached = this.memory.get(key);
    if (cached !== undefined) return cached;
    let dir: string;
    try {
      dir = this.host.workdir({ kind: 'plan', team, agent, taskId: null });
    } catch {
      return '';
    }
    const section = projectMemorySection(readProjectMemory(dir)?.text ?? null);
    this.memory.set(key, section);
    return section;
  }

  /**
   * The turn loop every job shares: answer pending tool calls, then call the model,
   * until a tool ends the job, the agent must wait, or it stops making progress.
   */
  async run(job: AgentJob): Promise<LoopEnd> {
    const { team, agent, conv, tools, taskId, handle } = job;
    const h = this.host;
    const { maxTurnsPerJob } = h.mission.settings;
    let turns = 0;
    for (;;) {
      h.ensureRunnable(agent);
      if (conv.pendingToolUses().length > 0) {
        const end = await this.answerPending(job, (use, input) => handle(use, input));
        if (end) return end;
        continue;
      }
      if (conv.last?.role === 'assistant') {
        if (this.nudge(agent, conv)) return 'stalled';
        continue;
      }
      if (turns >= maxTurnsPerJob) return 'stalled';
      turns += 1;
      // What the person wrote since the last turn goes with this one.
      h.deliverMessages?.(agent, conv);
      const result = await this.callModel(team, agent, conv, tools, taskId);
      if (result === 'blocked') return 'blocked';
      if (result === 'retry') continue;
    }
  }

  /**
   * Answers the last reply's tool calls in order (a bad input is answered with its error,
   * the rest by `outcomeOf`) and stores the results as one message. Null when the job goes
   * on; otherwise how it ended: a tool ended it, the agent must wait, or it stalled.
   */
  protected async answerPending(
    job: AgentJob,
    outcomeOf: (use: RequestToolUseBlock, input: Record<string, unknown>) => Promise<ToolOutcome>,
  ): Promise<LoopEnd | null> {
    const { agent, conv, tools } = job;
    const h = this.host;
    const results: RequestToolResultBlock[] = [];
    let progress = false;
    let end = false;
    for (const use of conv.pendingToolUses()) {
      const parsed = parseToolCall(tools, use.name, use.input, conv.inputErrors.get(use.id));
      const outcome: ToolOutcome = parsed.ok ? await outcomeOf(use, parsed.input) : { content: parsed.error, isError: true };
      h.ensureRunnable(agent);
      if (outcome.block) return 'blocked';
      results.push({ type: 'tool_result', tool_use_id: use.id, content: outcome.content, ...(outcome.isError ? { is_error: true } : {}) });
      progress ||= outcome.progress === true;
      end ||= outcome.end === true;
    }
    const counter = progress ? 0 : agent.rec.turnsWithoutProgress + 1;
    h.ctx.store.tx(() => {
      h.appendMessage(agent, conv, { role: 'user', content: results });
      // Most turns make progress and the counter stays at 0: no row to rewrite.
      if (counter !== agent.rec.turnsWithoutProgress) h.setStallCounter(agent, counter);
    });
    if (end) return 'ended';
    return counter >= h.mission.settings.stallTurns ? 'stalled' : null;
  }

  /** After a reply without tool calls: tells the agent to use them. True once it has stalled. */
  protected nudge(agent: AgentRt, conv: Conversation): boolean {
    const h = this.host;
    const counter = agent.rec.turnsWithoutProgress + 1;
    h.ctx.store.tx(() => {
      h.appendMessage(agent, conv, { role: 'user', content: NUDGE });
      h.setStallCounter(agent, counter);
    });
    return counter >= h.mission.settings.stallTurns;
  }

  /** One model call through the gateway; the reply is stored before anything acts on it. */
  protected async callModel(
    team: TeamRt,
    agent: AgentRt,
    conv: Conversation,
    tools: ToolSet,
    taskId: string | null,
  ): Promise<'ok' | 'blocked' | 'retry'> {
    const h = this.host;
    const { ctx } = h;
    await this.maybeCompact(team, agent, conv, taskId);
    h.ensureRunnable(agent);
    const model = findModel(agent.rec.model);
    const prompt = { system: h.systemPrompt(agent, team) + this.projectMemory(team, agent), messages: conv.messages, tools: toolDefinitions(tools) };
    const request: MessagesRequest = {
      model: agent.rec.model,
      ...(ctx.options.promptCaching ? withCacheBreakpoints(prompt, cachePlan(agent, conv)) : prompt),
      max_tokens: Math.min(ctx.options.maxTokensPerCall, model?.maxOutputTokens ?? ctx.options.maxTokensPerCall),
    };
    const abort = new AbortController();
    agent.abort = abort;
    let result;
    try {
      result = await ctx.gateway.call(
        request,
        { missionId: h.mission.id, teamId: team.rec.id, agentId: agent.rec.id, role: agent.rec.role, taskId },
        {
          signal: abort.signal,
          // "Rate-limited" only while the limiter really holds the call back.
          onWaiting: () => h.setAgentState(agent, 'waiting_limiter', null),
          onEvent: (event) => {
            if (event.type === 'message_start' && agent.rec.state === 'waiting_limiter' && ctx.store.open) {
              h.setAgentState(agent, 'working');
            }
          },
          // The reply is stored in the transaction of its billing row: a crash can never
          // leave a billed call without its reply, which resume would send again.
          onStored: (stored) => this.storeReply(agent, conv, stored),
        },
      );
    } catch (error) {
      agent.abort = null;
      if (!(error instanceof GatewayError)) throw error;
      if (error.kind === 'aborted') {
        if (ctx.store.open) h.refreshUsage(agent);
        throw new Halt('the call was aborted');
      }
      h.ensureRunnable(agent);
      if (error.kind === 'budget_exceeded') {
        raiseBudget(h, team, agent, taskId, error);
        return 'blocked';
      }
      if (error.kind === 'pool_stopped') {
        h.setAgentState(agent, 'waiting_limiter', error.message);
        await sleep(ctx.clock, ctx.options.poolRetryMs);
        return 'retry';
      }
      throw error;
    }
    agent.abort = null;
    const u = result.usage;
    agent.usage.input += u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
    agent.usage.output += u.output_tokens;
    agent.usage.cost += result.costNano;
    if (!ctx.store.open) throw new Halt('the ledger is closed');
    return 'ok';
  }

  /**
   * Appends a reply to the agent's transcript (and marks the agent working), inside the
   * gateway's transaction. Stored even if the agent was killed meanwhile: the call was
   * billed, the transcript shows it.
   */
  private storeReply(agent: AgentRt, conv: Conversation, result: GatewayResult): void {
    const { blocks, inputErrors } = toRequestBlocks(result.message.content);
    this.host.appendMessage(agent, conv, { role: 'assistant', content: blocks }, {
      inputTokens: result.usage.input_tokens,
      outputTokens: result.usage.output_tokens,
    });
    for (const [id, message] of inputErrors) conv.inputErrors.set(id, message);
    if (!TERMINAL_AGENT.includes(agent.rec.state)) this.host.setAgentState(agent, 'working');
  }

  /** Summarises older turns through the cheap model when the conversation nears the window. */
  private async maybeCompact(team: TeamRt, agent: AgentRt, conv: Conversation, taskId: string | null): Promise<void> {
    const h = this.host;
    const { ctx } = h;
    const limit = ctx.options.contextLimit(agent.rec.model);
    if (conv.chars / 4 <= limit || conv.messages.length < 7) return;
    // Keep the last two exchanges verbatim; the tail must start with an assistant turn
    // so that every kept tool_result still follows its tool_use.
    let keepFrom = conv.messages.length - 4;
    while (keepFrom > 1 && conv.messages[keepFrom]?.role !== 'assistant') keepFrom -= 1;
    if (keepFrom < 2) return;
    const head = conv.messages[0];
    const headText = typeof head?.content === 'string' ? head.content : '';
    const [prompt = headText] = headText.split(SUMMARY_MARKER);
    // The summary is stored in its call's transaction, like a reply (see callModel).
    const store = (result: GatewayResult): void => {
      const summary = result.message.content.map((b) => (b.type === 'text' ? b.text : '')).join('').trim();
      if (summary === '') return;
      const newHead: ConversationMessage = { role: 'user', content: `${prompt.trimEnd()}${SUMMARY_MARKER}${summary}` };
      conv.compact(ctx.store, { missionId: h.mission.id, agentId: agent.rec.id }, newHead, keepFrom, h.now());
      ctx.store.log({
        missionId: h.mission.id,
        at: h.now(),
        kind: 'note',
        subjectId: agent.rec.id,
        fromState: null,
        toState: null,
        detail: { compacted: conv.key, replacedMessages: keepFrom },
      });
    };
    try {
      const result = await ctx.gateway.call(
        {
          model: ctx.options.compactionModel,
          system: COMPACTION_SYSTEM,
          max_tokens: 2_048,
          messages: [{ role: 'user', content: renderForSummary(conv.messages.slice(0, keepFrom)) }],
        },
        { missionId: h.mission.id, teamId: team.rec.id, agentId: agent.rec.id, role: 'background', taskId },
        { onStored: store },
      );
      agent.usage.cost += result.costNano;
      agent.usage.input += result.usage.input_tokens;
      agent.usage.output += result.usage.output_tokens;
    } catch (error) {
      // Compaction is an optimisation: without it the agent carries on with the long context.
      if (ctx.store.open) ctx.logError(`compacting ${agent.rec.name}'s context`, error);
    }
  }
}

/**
 * How an agent's calls are cached. A leader waits on its coders between turns (they code,
 * submit, wait for review), usually longer than the 5-minute cache lives, so its prefix is
 * kept for an hour: a 1-hour write costs 2x input once instead of a 1.25x 5-minute write
 * on every turn that comes back after the entry expired. Everyone else turns over within
 * minutes and uses the cheaper 5-minute cache.
 */
export function cachePlan(agent: Pick<AgentRt, 'rec'>, conv: Pick<Conversation, 'messages'>): CachePlan {
  const head = conv.messages[0];
  const headText = typeof head?.content === 'string' ? head.content : '';
  return { ttl: agent.rec.role === 'leader' ? '1h' : '5m', compactedHead: headText.includes(SUMMARY_MARKER) };
}

/**
 * The inbox item for a call a budget cap refused, whichever runtime made it: the person
 * raises the budget and approves (the agent tries again) or denies (the mission pauses).
 */
export function raiseBudget(h: AgentHost, team: TeamRt, agent: AgentRt, taskId: string | null, error: GatewayError): void {
  h.raise({
    type: 'budget',
    level: 'human',
    teamId: team.rec.id,
    agentId: agent.rec.id,
    taskId,
    title: `${agent.rec.name} would exceed a budget`,
    detail: `${error.message}. Approve to let it try again (after raising the budget), deny to pause the mission.`,
    payload: error.budget ? { ...error.budget } : {},
  });
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
