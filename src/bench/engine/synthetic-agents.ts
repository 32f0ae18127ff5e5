/**
 * Synthetic coders for the engine benchmark. Each runs the turn loop of the built-in
 * runtime (`BuiltInDriver.run`/`callModel` in `runtimes/built-in.ts`) with the
 * engine's own pieces: the coder tool set and prompt, `Conversation` (transcript rows
 * in the ledger), the engine's own agent writes (`AgentWrites` in `state-writes.ts`:
 * agent state and mission_log rows, one transaction per step as the runtime writes
 * them, and the event that follows), the real gateway (budget admission,
 * RateLimiter, calls ledger with its roll-ups) and the batching `EventHub` with a sink
 * that serialises every batch as a transport would.
 *
 * Every agent of the design runs this coder loop, leaders included (on their own model,
 * Opus, as a leader's planning and review turns would be): the loop is the same
 * driver loop for every role; only the tools and prompts differ.
 *
 * What is left out, on purpose: git worktrees and the file and command tools (a tool
 * call gets a canned result at once; they are measured separately or are the tools'
 * time, not orchestration), and escalations (`ask_leader` is answered inline). A
 * "bare" agent runs the same loop against the same provider with none of the
 * machinery: that is the ideal the full loop is compared with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_MISSION_SETTINGS } from '../../shared/mission.js';
import type { AgentSpec } from '../../shared/team.js';
import { EventHub } from '../../main/api/event-hub.js';
import { BudgetGuard, ledgerSpendSource } from '../../main/ledger/budgets.js';
import { CallsRepository } from '../../main/ledger/calls-repository.js';
import { openLedger, type Ledger } from '../../main/ledger/database.js';
import { defaultPricer } from '../../main/ledger/pricing.js';
import { TeamRepository } from '../../main/ledger/team-repository.js';
import { RateLimiter, systemClock } from '../../main/limiter/index.js';
import { createGateway } from '../../main/calls/gateway.js';
import type { ModelGateway } from '../../main/calls/gateway-types.js';
import type {
  ConversationMessage,
  MessagesRequest,
  ProviderResult,
  RequestToolResultBlock,
  RequestToolUseBlock,
} from '../../main/llm/provider.js';
import { planFor } from '../../main/llm/simulated/planner.js';
import { Conversation, toRequestBlocks } from '../../main/engine/conversation.js';
import { MissionEngine } from '../../main/engine/mission-engine.js';
import { MissionStore, type AgentRecord, type MissionRecord, type TaskRecord } from '../../main/ledger/mission-repository.js';
import { AgentWrites } from '../../main/engine/state-writes.js';
import { taskPrompt } from '../../main/engine/prompts.js';
import { coderTools, parseToolCall, toolDefinitions } from '../../main/tools/agent-tools.js';
import { newTiming, TimedProvider, type ProviderTiming } from './timed-provider.js';

/** One model call as an agent lived it. */
export interface TurnSample {
  /** performance.now() when the reply was stored and the agent could act on it. */
  endedAt: number;
  /** From the end of the previous reply's handling (tool results included) to this reply stored. */
  turnMs: number;
  /** Inside provider.send. */
  providerMs: number;
  /** What the simulation planned to sleep for this call (0 at zero latency). */
  plannedMs: number;
}

export interface RigOptions {
  agents: number;
  /** 0: the provider answers at once; 1: the simulation's realistic latency. */
  latencyScale: number;
  seed: number;
  /** false: the bare loop, provider only (the ideal). */
  machinery: boolean;
  /** Turns recorded at most (later ones are counted, not kept). Default 400,000. */
  sampleCapacity?: number;
}

/** Turn samples in one typed array: four numbers each, in {@link TurnSample} order. */
export class SampleLog {
  readonly #data: Float64Array;
  #length = 0;
  dropped = 0;

  constructor(capacity: number) {
    this.#data = new Float64Array(capacity * 4);
  }

  push(s: TurnSample): void {
    const at = this.#length * 4;
    if (at >= this.#data.length) {
      this.dropped += 1;
      return;
    }
    this.#data[at] = s.endedAt;
    this.#data[at + 1] = s.turnMs;
    this.#data[at + 2] = s.providerMs;
    this.#data[at + 3] = s.plannedMs;
    this.#length += 1;
  }

  /** The samples whose reply was stored within [from, to). */
  between(from: number, to: number): TurnSample[] {
    const out: TurnSample[] = [];
    const d = this.#data;
    for (let i = 0; i < this.#length * 4; i += 4) {
      const endedAt = d[i] as number;
      if (endedAt >= from && endedAt < to) {
        out.push({
          endedAt,
          turnMs: d[i + 1] as number,
          providerMs: d[i + 2] as number,
          plannedMs: d[i + 3] as number,
        });
      }
    }
    return out;
  }
}

interface BenchAgent {
  index: number;
  rec: AgentRecord;
  teamName: string;
  usage: { input: number; output: number; cost: number };
  lastActivityMs: number;
  abort: AbortController | null;
}

/** A conversation without a ledger, for the bare loop. */
class BareConversation {
  readonly messages: ConversationMessage[] = [];
  readonly inputErrors = new Map<string, string>();
  get last(): ConversationMessage | undefined {
    return this.messages[this.messages.length - 1];
  }
}

const BARE_TOOLS = structuredClone(toolDefinitions(coderTools));
const NUDGE = 'Continue with the tools. Your turn produced no tool call.';
const TEAM_SIZE = 20;
/** A full design is 50 teams of 20 (src/shared/team.ts LIMITS); agents beyond a multiple of 20 fill a last team. */
const MISSION_BUDGET_USD = 100_000;

/**
 * A ledger in a temp folder with a saved design and a created mission (as the UI would
 * make them), the gateway over a timed simulated provider, and `agents` synthetic coders.
 */
export class AgentRig {
  readonly options: RigOptions;
  readonly provider: TimedProvider;
  /** Preallocated, so recording samples does not show in the memory figures. */
  readonly samples: SampleLog;
  readonly eventStats = { events: 0, batches: 0, bytes: 0 };
  callsCompleted = 0;
  private readonly dir: string;
  private readonly ledger: Ledger | null;
  private readonly store: MissionStore | null;
  /** The engine's agent writes (null without machinery). */
  private readonly writes: AgentWrites | null;
  private readonly gateway: ModelGateway | null;
  private readonly limiter: RateLimiter | null;
  /** The event hub the agents emit into (null without machinery); a transport subscribes here. */
  readonly hub: EventHub | null;
  private readonly mission: MissionRecord | null;
  private readonly agents: BenchAgent[] = [];
  private readonly tasks: Omit<TaskRecord, 'id'>[];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly stopLimiterEvents: () => void;

  constructor(options: RigOptions) {
    this.options = options;
    this.samples = new SampleLog(options.sampleCapacity ?? 400_000);
    this.provider = new TimedProvider({ seed: options.seed, latencyScale: options.latencyScale });
    this.dir = mkdtempSync(join(tmpdir(), 'cr-bench-engine-'));
    const teams = Math.ceil(options.agents / TEAM_SIZE);
    const goal = 'Build a bookmarks manager with tags, search and an import from CSV';
    this.tasks = planFor(goal, ['coder'], options.seed).map((t, i) => ({
      missionId: '',
      teamId: '',
      planRound: 0,
      key: t.key,
      title: t.title,
      description: t.description,
      acceptanceCriteria: t.acceptance_criteria,
      owns: t.owns,
      dependsOn: t.depends_on,
      preferredAssignee: null,
      state: 'in_progress',
      assignee: null,
      attempts: 0,
      claims: 1,
      stalls: 0,
      feedback: null,
      submissionSummary: null,
      mergedCommit: null,
      sortOrder: i,
      createdAt: '',
      updatedAt: '',
    }));

    if (!options.machinery) {
      this.ledger = this.store = this.writes = this.gateway = this.limiter = this.hub = this.mission = null;
      this.stopLimiterEvents = () => undefined;
      for (let i = 0; i < options.agents; i++) {
        const rec = syntheticRecord(i);
        this.agents.push({
          index: i,
          rec,
          teamName: rec.teamId,
          usage: { input: 0, output: 0, cost: 0 },
          lastActivityMs: Date.now(),
          abort: null,
        });
      }
      return;
    }

    // As the app opens it (openBackend): checkpoints in a worker, one commit per turn.
    this.ledger = openLedger(join(this.dir, 'ledger.db'), { checkpoints: 'background', groupCommit: true });
    const db = this.ledger.db;
    const design = new TeamRepository(db).save({
      name: 'Engine bench',
      description: '',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: Array.from({ length: teams }, (_, t) => ({
        id: `team${t}`,
        name: `Team ${t}`,
        budgetNanoUsd: null,
        position: { x: t * 100, y: 0 },
        // A leader and its coders, as every team a mission can start has.
        agents: Array.from(
          { length: Math.min(TEAM_SIZE, options.agents - t * TEAM_SIZE) },
          (_, c): AgentSpec => ({
            id: c === 0 ? `team${t}-lead` : `team${t}-c${c}`,
            name: c === 0 ? `lead-${t}` : `coder-${t}-${c}`,
            role: c === 0 ? 'leader' : 'coder',
            model: c === 0 ? 'claude-opus-4-8' : 'claude-sonnet-4-6',
            budgetNanoUsd: null,
            systemPrompt: 'Write small, tested, dependency-free modules.',
            permissions: { allowedCommands: ['node --test'], writeScope: [] },
            idleTimeoutSec: null,
          }),
        ),
      })),
    });
    // The engine only creates the mission's rows here (a draft needs no workspace).
    const engine = new MissionEngine({
      db,
      gateway: { call: () => Promise.reject(new Error('unused')) },
      worktreesDir: join(this.dir, 'worktrees'),
      reaperIntervalMs: 0,
    });
    const missionId = engine.create({
      designId: design.id,
      goal,
      repoPath: this.dir,
      baseBranch: 'main',
      skipPlanApproval: true,
      allowedCommands: ['node --test'],
      copyFiles: [],
      budgetUsd: MISSION_BUDGET_USD,
    }).id;
    engine.close();

    this.store = new MissionStore(db);
    const mission = this.store.getMission(missionId);
    if (!mission) throw new Error('the bench mission was not created');
    this.mission = mission;

    const pricer = defaultPricer();
    const budgets = new BudgetGuard({ spend: ledgerSpendSource(db), pricer });
    // As MissionEngine.applyCaps does: the mission's cap, and none for teams and agents.
    budgets.setCap('mission', mission.id, mission.budgetNano);
    // High enough never to bind: this measures the limiter's bookkeeping, not its waiting.
    this.limiter = new RateLimiter({
      pools: {
        opus: { rpm: 10_000_000, itpm: 10_000_000_000, otpm: 1_000_000_000 },
        sonnet: { rpm: 10_000_000, itpm: 10_000_000_000, otpm: 1_000_000_000 },
        haiku: { rpm: 10_000_000, itpm: 10_000_000_000, otpm: 1_000_000_000 },
      },
      rampStartFraction: 1,
    });
    this.hub = new EventHub();
    const hub = this.hub;
    hub.subscribe((batch) => {
      // What a transport pays per batch: one serialisation (the WebSocket's JSON, IPC's clone).
      this.eventStats.batches += 1;
      this.eventStats.events += batch.length;
      this.eventStats.bytes += JSON.stringify(batch).length;
    });
    // Wired as backend.ts wires them: a costs refresh per recorded call, the limiter's throttled state.
    this.stopLimiterEvents = this.limiter.onChange((state) => hub.emit('limits:changed', state, 'state'));
    this.writes = new AgentWrites({ store: this.store, clock: systemClock, events: hub }, mission.id);
    this.gateway = createGateway({
      provider: this.provider,
      limiter: this.limiter,
      budgets,
      calls: new CallsRepository(db, pricer),
      onRecorded: (record) =>
        hub.emit(
          'costs:changed',
          { at: Date.now(), missionId: record.missionId ?? null },
          record.missionId ?? '',
        ),
    });
    for (const [i, rec] of this.store.agents(mission.id).entries()) {
      this.agents.push({
        index: i,
        rec,
        teamName: rec.teamId,
        usage: { input: 0, output: 0, cost: 0 },
        lastActivityMs: Date.now(),
        abort: null,
      });
    }
  }

  /** Starts the first `count` agents' loops (all by default); they run until {@link stop}. */
  start(count = this.agents.length): void {
    this.loops = this.agents.slice(0, count).map((a) =>
      this.agentLoop(a).catch((error: unknown) => {
        if (!this.stopping) throw error;
      }),
    );
  }

  /** Stops the loops, aborting calls in flight (the gateway records them as cancelled). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const a of this.agents) a.abort?.abort();
    await Promise.all(this.loops);
    this.hub?.flush();
  }

  ledgerRows(): { calls: number; transcript: number; log: number } | null {
    if (!this.ledger) return null;
    const count = (table: string) =>
      Number(this.ledger?.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
    return { calls: count('calls'), transcript: count('transcript_entries'), log: count('mission_log') };
  }

  close(): void {
    this.stopLimiterEvents();
    this.limiter?.close();
    this.hub?.close();
    this.ledger?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ the loop

  private now(): string {
    return new Date().toISOString();
  }

  private append(
    a: BenchAgent,
    conv: Conversation | BareConversation,
    message: ConversationMessage,
    usage?: { inputTokens: number; outputTokens: number },
  ): void {
    if (conv instanceof Conversation && this.store) {
      conv.append(this.store, { missionId: a.rec.missionId, agentId: a.rec.id }, message, this.now(), usage);
    } else {
      conv.messages.push(message);
    }
  }

  private async agentLoop(a: BenchAgent): Promise<void> {
    const store = this.store;
    const { stallTurns, maxTurnsPerJob } = DEFAULT_MISSION_SETTINGS;
    let job = 0;
    // Set when work towards the next call starts; carried over a job boundary so the
    // next claim's set-up counts against the call it leads to.
    let turnStart: number | null = null;
    while (!this.stopping) {
      job += 1;
      turnStart ??= performance.now();
      const template = this.tasks[(a.index + job) % this.tasks.length] as Omit<TaskRecord, 'id'>;
      const task: TaskRecord = {
        ...template,
        id: `t-${a.rec.id}-${job}`,
        missionId: a.rec.missionId,
        teamId: a.rec.teamId,
        assignee: a.rec.id,
      };
      const conv = store ? new Conversation(`task:${task.id}:c1`, [], [], 0) : new BareConversation();
      const prompt = taskPrompt({
        mission: this.mission ?? benchMission(),
        task,
        allowedCommands: ['node --test'],
      });
      if (store) {
        store.tx(() => {
          this.append(a, conv, { role: 'user', content: prompt });
          this.writes?.setAgentState(a, 'working', null, { currentTaskId: task.id, turnsWithoutProgress: 0 });
        });
      } else {
        this.append(a, conv, { role: 'user', content: prompt });
      }
      let turns = 0;
      let stalled = 0;
      for (;;) {
        if (this.stopping) return;
        turnStart ??= performance.now();
        const pending = pendingToolUses(conv.last);
        if (pending.length > 0) {
          const results: RequestToolResultBlock[] = [];
          let progress = false;
          let end = false;
          for (const use of pending) {
            const parsed = parseToolCall(coderTools, use.name, use.input, conv.inputErrors.get(use.id));
            const outcome = parsed.ok
              ? cannedTool(use.name, parsed.input)
              : { content: parsed.error, isError: true };
            results.push({
              type: 'tool_result',
              tool_use_id: use.id,
              content: outcome.content,
              ...(outcome.isError ? { is_error: true } : {}),
            });
            progress ||= outcome.progress === true;
            end ||= outcome.end === true;
          }
          stalled = progress ? 0 : stalled + 1;
          if (store) {
            store.tx(() => {
              this.append(a, conv, { role: 'user', content: results });
              if (stalled !== a.rec.turnsWithoutProgress) this.writes?.setStallCounter(a, stalled);
            });
          } else {
            this.append(a, conv, { role: 'user', content: results });
          }
          if (end || stalled >= stallTurns) break;
          continue;
        }
        if (conv.last?.role === 'assistant') {
          stalled += 1;
          this.append(a, conv, { role: 'user', content: NUDGE });
          if (stalled >= stallTurns) break;
          continue;
        }
        if (turns >= maxTurnsPerJob) break;
        turns += 1;
        const result = await this.callModel(a, conv, task.id);
        if (!result) return;
        // The engine stores the reply in the gateway's transaction (onStored, in callModel).
        if (!store) this.append(a, conv, { role: 'assistant', content: toRequestBlocks(result.result.message.content).blocks });
        const endedAt = performance.now();
        const t = result.timing;
        this.callsCompleted += 1;
        this.samples.push({
          endedAt,
          turnMs: endedAt - turnStart,
          providerMs: t.sendEnd - t.sendStart,
          plannedMs: t.plannedMs,
        });
        turnStart = null;
      }
    }
  }

  /** BuiltInDriver.callModel without compaction (conversations here stay far below the window). */
  private async callModel(
    a: BenchAgent,
    conv: Conversation | BareConversation,
    taskId: string,
  ): Promise<{ result: ProviderResult; timing: ProviderTiming } | null> {
    const request: MessagesRequest = {
      model: a.rec.model,
      system: `You are ${a.rec.name}, a coder of team ${a.teamName} in a Control Room mission.\nWrite small, tested, dependency-free modules.`,
      messages: conv.messages,
      // The engine builds the definitions per call (BuiltInDriver.callModel); a bare loop
      // would compute them once.
      tools: this.gateway ? toolDefinitions(coderTools) : BARE_TOOLS,
      max_tokens: 8_192,
    };
    const abort = new AbortController();
    const timing = newTiming();
    this.provider.track(abort.signal, timing);
    a.abort = abort;
    try {
      if (!this.gateway)
        return { result: await this.provider.send(request, { signal: abort.signal }), timing };
      const result = await this.gateway.call(
        request,
        { missionId: a.rec.missionId, teamId: a.rec.teamId, agentId: a.rec.id, role: a.rec.role, taskId },
        {
          signal: abort.signal,
          onWaiting: () => this.writes?.setAgentState(a, 'waiting_limiter'),
          onEvent: (event) => {
            if (event.type === 'message_start' && a.rec.state === 'waiting_limiter')
              this.writes?.setAgentState(a, 'working');
          },
          // BuiltInDriver.storeReply.
          onStored: (stored) => {
            const { blocks, inputErrors } = toRequestBlocks(stored.message.content);
            this.append(
              a,
              conv,
              { role: 'assistant', content: blocks },
              { inputTokens: stored.usage.input_tokens, outputTokens: stored.usage.output_tokens },
            );
            for (const [id, message] of inputErrors) conv.inputErrors.set(id, message);
            this.writes?.setAgentState(a, 'working');
          },
        },
      );
      a.usage.input +=
        result.usage.input_tokens +
        result.usage.cache_creation_input_tokens +
        result.usage.cache_read_input_tokens;
      a.usage.output += result.usage.output_tokens;
      a.usage.cost += result.costNano;
      return { result, timing };
    } catch (error) {
      if (this.stopping) return null;
      throw error;
    } finally {
      a.abort = null;
    }
  }
}

function pendingToolUses(last: ConversationMessage | undefined): RequestToolUseBlock[] {
  if (!last || last.role !== 'assistant' || typeof last.content === 'string') return [];
  return last.content.filter((b): b is RequestToolUseBlock => b.type === 'tool_use');
}

/** What the file and command tools would answer, at once: tool time is not orchestration. */
function cannedTool(
  name: string,
  input: Record<string, unknown>,
): { content: string; isError?: boolean; progress?: boolean; end?: boolean } {
  switch (name) {
    case 'write_file':
      return {
        content: `Wrote ${String(input.path)} (${String(input.content).length} characters).`,
        progress: true,
      };
    case 'edit_file':
      return { content: `Edited ${String(input.path)}.`, progress: true };
    case 'read_file':
      return { content: `// ${String(input.path)}\nexport function main(input) {\n  return input;\n}\n` };
    case 'list_dir':
      return { content: 'README.md\npackage.json\nsrc/\ntest/' };
    case 'search':
      return { content: 'No matches.' };
    case 'run_command':
      return { content: `$ ${String(input.command)}\n# tests 2\n# pass 2\n# fail 0\n(exit code 0)` };
    case 'ask_leader':
      return { content: 'Your leader answers: go with your proposal and note the decision in your summary.' };
    case 'submit_task':
      return { content: 'Submitted for review. Your leader will review it.', progress: true, end: true };
    default:
      return { content: `unknown tool "${name}"`, isError: true };
  }
}

/** The bare loop's agents: the same ids, names and models as the ledger's. */
function syntheticRecord(i: number): AgentRecord {
  const t = Math.floor(i / TEAM_SIZE);
  const c = i % TEAM_SIZE;
  return {
    missionId: 'm-bare',
    id: c === 0 ? `team${t}-lead` : `team${t}-c${c}`,
    teamId: `team${t}`,
    name: c === 0 ? `lead-${t}` : `coder-${t}-${c}`,
    role: c === 0 ? 'leader' : 'coder',
    model: c === 0 ? 'claude-opus-4-8' : 'claude-sonnet-4-6',
    budgetNano: null,
    state: 'idle',
    stateReason: null,
    currentTaskId: null,
    turnsWithoutProgress: 0,
    lastActivityAt: new Date().toISOString(),
    sortOrder: i % TEAM_SIZE,
  };
}

/** The bare loop's prompt needs a mission only for its goal. */
function benchMission(): MissionRecord {
  return { goal: 'Build a bookmarks manager with tags, search and an import from CSV' } as MissionRecord;
}
