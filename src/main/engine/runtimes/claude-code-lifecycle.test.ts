import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../../shared/team.js';
import { AnthropicProvider } from '../../llm/anthropic-provider.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type BillingEntry,
  type FakeMessagesApi,
  type FakeMessagesApiOptions,
  type FakeRequest,
  type FakeResponder,
} from '../../llm/testing/fake-messages-api.js';
import type { MissionEngineOptions } from '../mission-engine.js';
import { scopedId } from '../../ledger/budgets.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness, type HarnessHooks } from '../testing/harness.js';
import { scriptedTeamResponder } from '../testing/claude-code-fake-team.js';
import { CLAUDE_CODE_PATH_ENV, resolveClaudeCodeBinary } from './claude-code-probe.js';

/**
 * The Claude Code runtime's lifecycle and failures, end to end: each test runs a real
 * mission on a real git repository, the real Claude Code binary in each coder's
 * worktree, its traffic through Control Room's loopback gateway to the loopback fake of
 * the Messages API. What is asserted is what a person relies on: the mission finishes
 * (or fails the one agent, clearly), and the ledger is exactly what the API billed.
 */

const binary = resolveClaudeCodeBinary();
const run = binary ? describe : describe.skip;
if (!binary) console.log("claude-code-lifecycle.test: skipped, Claude Code's binary is not installed for this platform");

const COMMAND = 'git status --short';
const SUBMIT = 'mcp__control-room__submit_task';

let h: Harness | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await h?.cleanup();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

const claudeCoder: Partial<AgentSpec> = {
  runtime: 'claude-code',
  permissions: { allowedCommands: [COMMAND], writeScope: [] },
};

interface Setup {
  h: Harness;
  fake: FakeMessagesApi;
  requests: FakeRequest[];
}

interface SetupOptions {
  askCommand?: string;
  /** Wraps the team's responder (to hold a reply, or to change the script mid-mission). */
  respond?: (request: FakeRequest, team: FakeResponder) => ReturnType<FakeResponder>;
  fakeOptions?: Omit<FakeMessagesApiOptions, 'responder'>;
  engine?: Partial<MissionEngineOptions>;
  hooks?: Omit<HarnessHooks, 'claudeCode'>;
}

async function setUp(options: SetupOptions = {}): Promise<Setup> {
  const requests: FakeRequest[] = [];
  const team = scriptedTeamResponder({ command: COMMAND, ...(options.askCommand ? { askCommand: options.askCommand } : {}) });
  fake = await startFakeMessagesApi({
    ...options.fakeOptions,
    responder: (request) => {
      requests.push(request);
      return options.respond ? options.respond(request, team) : team(request);
    },
  });
  h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }), options.engine ?? {}, { ...options.hooks, claudeCode: true });
  return { h, fake, requests };
}

function launch(s: Setup, teams: Parameters<typeof saveDesign>[1] = [{ id: 'core', coders: 1, coderExtra: claudeCoder }]): string {
  const design = saveDesign(s.h.ledger, teams);
  return s.h.engine.create({
    designId: design.id,
    goal: 'Add two helpers',
    repoPath: s.h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [COMMAND],
    copyFiles: [],
  }).id;
}

/** Whether a request to the fake is a Claude Code coder's (it offers Control Room's submit over MCP). */
const isClaudeCoder = (r: FakeRequest): boolean => (r.body.tools ?? []).some((t) => t.name === SUBMIT);

/** The agent a request to the fake came from, by its system prompt ("You are core-c1, …"). */
function agentOf(r: FakeRequest): string | undefined {
  const system = typeof r.body.system === 'string' ? r.body.system : (r.body.system ?? []).map((b) => b.text).join('\n');
  return /You are ([a-z0-9-]+), /.exec(system)?.[1];
}

/** Tool results in a request's conversation: how far its job has got. */
function resultsIn(r: FakeRequest): number {
  let n = 0;
  for (const m of r.body.messages) if (typeof m.content !== 'string') n += m.content.filter((b) => b.type === 'tool_result').length;
  return n;
}

/** Whether a message is Control Room's resume prompt telling the session that `command` was approved meanwhile. */
const approvedWhileStopped = (m: FakeRequest['body']['messages'][number], command: string): boolean =>
  JSON.stringify(m.content).includes(`\`${command}\`: approved after your session stopped`);

/** Claude Code processes started by this test process, with the directory each runs in. */
function claudeProcesses(): { pid: number; cwd: string }[] {
  const out: { pid: number; cwd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!binary || !cmdline.includes(binary)) continue;
      out.push({ pid: Number(entry), cwd: readlinkSync(`/proc/${entry}/cwd`) });
    } catch {
      // The process ended while it was read.
    }
  }
  return out;
}

/** The tool_result a request carries for the last Bash use of `command`. */
function bashResult(r: FakeRequest | undefined, command: string): { content?: unknown; is_error?: boolean } | undefined {
  const blocks = (r?.body.messages ?? []).flatMap((m) => (typeof m.content === 'string' ? [] : (m.content as unknown as Record<string, unknown>[])));
  const use = blocks.findLast((b) => b.type === 'tool_use' && b.name === 'Bash' && (b.input as { command?: string }).command === command);
  return blocks.find((b) => b.type === 'tool_result' && b.tool_use_id === use?.id) as { content?: unknown; is_error?: boolean } | undefined;
}

interface SessionRow {
  session_id: string;
  outcome: string | null;
  reason: string | null;
}

function sessionsOf(s: Setup, missionId: string, agentId: string): SessionRow[] {
  return s.h.ledger.db
    .prepare('SELECT session_id, outcome, reason FROM agent_sessions WHERE mission_id = ? AND agent_id = ? ORDER BY started_at')
    .all(missionId, agentId) as SessionRow[];
}

/** Makes the reply being prepared slow to start (message_start out, then a pause): only this one, as far as timing allows. */
function slowThisReply(f: FakeMessagesApi | undefined, ms: number): void {
  f?.setScript({ firstTokenLatencyMs: ms });
  setTimeout(() => f?.setScript({ firstTokenLatencyMs: 0 }), 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CallRow {
  request_id: string;
  agent_id: string;
  status: string;
  http_status: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  ended_at: number;
}

function callRows(s: Setup, missionId: string): CallRow[] {
  return s.h.ledger.db
    .prepare(
      `SELECT request_id, agent_id, status, http_status, input_tokens, output_tokens, cache_read_tokens,
              cache_creation_5m_tokens + cache_creation_1h_tokens AS cache_write_tokens, ended_at
       FROM calls WHERE mission_id = ? ORDER BY id`,
    )
    .all(missionId) as CallRow[];
}

/** The ledger status an attempt the fake billed must have. */
const LEDGER_STATUS: Record<BillingEntry['status'], string> = {
  completed: 'ok',
  cut: 'partial',
  stream_error: 'partial',
  aborted: 'cancelled',
};

/**
 * The ledger against the fake's billing, request by request: every billed request has
 * its row with the same tokens and the status its end implies; every other row is an
 * attempt the API refused (a 429, a 529) and bills nothing.
 */
async function expectLedgerEqualsBilling(s: Setup, missionId: string): Promise<void> {
  await s.fake.whenIdle();
  // An aborted call's row is written when its handler settles: give the turn a moment.
  await new Promise((r) => setTimeout(r, 50));
  const rows = new Map(callRows(s, missionId).map((r) => [r.request_id, r]));
  for (const b of s.fake.billing) {
    const row = rows.get(b.requestId);
    expect(row, `a ledger row for ${b.requestId} (${b.status})`).toBeDefined();
    expect({
      id: b.requestId,
      status: row?.status,
      input: row?.input_tokens,
      output: row?.output_tokens,
      cacheRead: row?.cache_read_tokens,
      cacheWrite: row?.cache_write_tokens,
    }).toEqual({
      id: b.requestId,
      status: LEDGER_STATUS[b.status],
      input: b.inputTokens,
      output: b.outputTokens,
      cacheRead: b.cacheReadInputTokens,
      cacheWrite: b.cacheCreation5mInputTokens + b.cacheCreation1hInputTokens,
    });
    rows.delete(b.requestId);
  }
  for (const r of rows.values()) {
    expect({ id: r.request_id, status: r.status, tokens: r.input_tokens + r.output_tokens + r.cache_read_tokens + r.cache_write_tokens }).toEqual({
      id: r.request_id,
      status: 'error',
      tokens: 0,
    });
  }
  // And the sums, as the cost dashboard adds them up.
  const sums = (xs: { i: number; o: number; r: number; w: number }[]) => xs.reduce((a, x) => ({ i: a.i + x.i, o: a.o + x.o, r: a.r + x.r, w: a.w + x.w }), { i: 0, o: 0, r: 0, w: 0 });
  expect(sums(callRows(s, missionId).map((r) => ({ i: r.input_tokens, o: r.output_tokens, r: r.cache_read_tokens, w: r.cache_write_tokens })))).toEqual(
    sums(s.fake.billing.map((b) => ({ i: b.inputTokens, o: b.outputTokens, r: b.cacheReadInputTokens, w: b.cacheCreation5mInputTokens + b.cacheCreation1hInputTokens }))),
  );
}

run('Claude Code lifecycle', () => {
  it('finishes a mission through a 429, a 529, a cut stream and a stream error, billed exactly as the API billed', async () => {
    let armed = false;
    const s = await setUp({
      respond: (request, team) => {
        // The faults land on the coder's session: scheduled from its first request on.
        if (!armed && isClaudeCoder(request)) {
          armed = true;
          fake?.setScript({
            faults: [
              { kind: 'rate_limit', retryAfterSeconds: 1 },
              { kind: 'overloaded' },
              { kind: 'cut_mid_content', afterDeltas: 2 },
              { kind: 'stream_error' },
            ],
          });
        }
        return team(request);
      },
    });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 55_000);

    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    expect(git(s.h.repo, 'show', 'main:src/alpha.js')).toContain("return 'alpha'");
    await expectLedgerEqualsBilling(s, missionId);
    // Every fault was met by the coder, and each left its row.
    const statuses = s.fake.billing.filter((b) => b.status !== 'completed').map((b) => b.status);
    expect(statuses.sort()).toEqual(['cut', 'stream_error']);
    const refused = callRows(s, missionId).filter((r) => r.status === 'error').map((r) => r.http_status);
    expect(refused.sort()).toEqual([429, 529]);
    expect(callRows(s, missionId).filter((r) => r.status !== 'ok').every((r) => r.agent_id === 'core-c1')).toBe(true);
    expect(s.h.errors).toEqual([]);
  }, 60_000);

  it('kills a coder mid-stream: its Claude Code process ends, its task goes back, the aborted call is billed for what arrived', async () => {
    let slowed = false;
    const s = await setUp({
      respond: (request, team) => {
        // core-c1's second call (after its Write) starts its answer, then stalls.
        if (!slowed && agentOf(request) === 'core-c1' && resultsIn(request) === 1) {
          slowed = true;
          slowThisReply(fake, 3_000);
        }
        return team(request);
      },
    });
    const missionId = launch(s, [{ id: 'core', coders: 2, coderExtra: claudeCoder }]);
    await s.h.engine.start(missionId);
    await waitFor(() => slowed, 30_000, "core-c1's slow call");
    await sleep(300);
    const worktree = join(s.h.dir, 'worktrees');
    const c1Processes = (): number[] => claudeProcesses().filter((p) => p.cwd.startsWith(worktree) && p.cwd.endsWith('core-c1')).map((p) => p.pid);
    expect(c1Processes()).toHaveLength(1);
    const taskId = s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.currentTaskId;
    expect(taskId).toBeTruthy();

    const killedAt = Date.now();
    const view = s.h.engine.killAgent(missionId, 'core-c1');
    expect(view.state).toBe('killed');
    // The process is gone well before the stalled answer would have gone on.
    await waitFor(() => c1Processes().length === 0, 6_000, "core-c1's Claude Code process to end");
    const stoppedMs = Date.now() - killedAt;
    await waitFor(() => sessionsOf(s, missionId, 'core-c1')[0]?.outcome === 'aborted', 2_000, "core-c1's session to be recorded aborted");
    // Its task went back to ready, for the other coder.
    const back = s.h.ledger.db
      .prepare("SELECT count(*) FROM mission_log WHERE kind = 'task' AND subject_id = ? AND to_state = 'ready' AND detail_json LIKE '%core-c1 was killed%'")
      .pluck()
      .get(taskId) as number;
    expect(back).toBe(1);

    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    expect(detail.agents.find((a) => a.id === 'core-c1')?.state).toBe('killed');
    expect(detail.tasks.find((t) => t.id === taskId)?.assignee).toBe('core-c2');
    // The aborted call: billed for what arrived (message_start's usage), recorded 'cancelled'.
    await expectLedgerEqualsBilling(s, missionId);
    const aborted = s.fake.billing.filter((b) => b.status === 'aborted');
    expect(aborted).toHaveLength(1);
    expect(aborted[0]?.inputTokens).toBeGreaterThan(0);
    const row = callRows(s, missionId).find((r) => r.request_id === aborted[0]?.requestId);
    expect(row).toMatchObject({ agent_id: 'core-c1', status: 'cancelled' });
    // Cut at the kill, not when the process got round to exiting: nothing streams (or bills) on meanwhile.
    const cutMs = (row?.ended_at ?? Infinity) - killedAt;
    console.log(`kill: the call in flight was cut ${cutMs} ms after the kill`);
    expect(cutMs).toBeLessThan(500);
    // What the person sees as the agent's cost is the ledger's.
    const c1Cost = s.h.ledger.db.prepare("SELECT sum(cost_total_nano) FROM calls WHERE mission_id = ? AND agent_id = 'core-c1'").pluck().get(missionId) as number;
    expect(s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.costNanoUsd).toBe(c1Cost);
    expect(s.h.errors).toEqual([]);
    console.log(`kill: Claude Code process ended ${stoppedMs} ms after the kill`);
  }, 60_000);

  it('pauses a mission mid-stream and resumes each Claude Code session by its id, with its earlier messages', async () => {
    let slowed = false;
    const s = await setUp({
      respond: (request, team) => {
        if (!slowed && agentOf(request) === 'core-c1' && resultsIn(request) === 1) {
          slowed = true;
          slowThisReply(fake, 3_000);
        }
        return team(request);
      },
    });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    await waitFor(() => slowed, 30_000, "core-c1's slow call");
    await sleep(300);
    const first = sessionsOf(s, missionId, 'core-c1');
    expect(first).toHaveLength(1);
    const sessionId = first[0]?.session_id ?? '';
    const before = s.requests.length;

    const pausedAt = Date.now();
    s.h.engine.pause(missionId);
    await waitFor(() => claudeProcesses().length === 0, 6_000, 'the Claude Code process to stop on pause');
    await waitFor(() => sessionsOf(s, missionId, 'core-c1')[0]?.outcome === 'aborted', 2_000, 'the session to be recorded aborted');
    await waitFor(() => !s.h.engine.isBusy(missionId), 5_000, 'the paused mission to settle');
    const paused = s.h.engine.get(missionId);
    expect(paused.mission.state).toBe('paused');
    expect(paused.agents.find((a) => a.id === 'core-c1')?.state).toBe('idle');
    expect(paused.tasks.find((t) => t.assignee === 'core-c1')?.state).toBe('in_progress');
    await sleep(300);
    expect(s.requests.length).toBe(before);

    await s.h.engine.resume(missionId);
    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    expect(s.h.engine.get(missionId).mission.state).toBe('done');
    // The resumed session's first call carries what came before: the task, the Write and its result.
    const resumed = s.requests.slice(before).find((r) => agentOf(r) === 'core-c1');
    expect(resumed).toBeDefined();
    const sent = JSON.stringify(resumed?.body.messages);
    expect(sent).toContain('Task: alpha');
    expect(sent).toMatch(/"name":"Write"/);
    expect(sent).toContain('Carry on with your job');
    expect(resultsIn(resumed as FakeRequest)).toBe(1);
    // The same session, kept under its id, and ended once its job was done.
    expect(sessionsOf(s, missionId, 'core-c1')[0]).toMatchObject({ session_id: sessionId, outcome: 'completed' });
    await expectLedgerEqualsBilling(s, missionId);
    const aborted = s.fake.billing.filter((b) => b.status === 'aborted');
    expect(aborted).toHaveLength(1);
    const row = callRows(s, missionId).find((r) => r.request_id === aborted[0]?.requestId);
    expect(row?.status).toBe('cancelled');
    expect((row?.ended_at ?? Infinity) - pausedAt).toBeLessThan(500);
    expect(s.h.errors).toEqual([]);
  }, 60_000);

  it('pauses while a coder waits on a permission; the answer given meanwhile reaches the resumed session', async () => {
    const s = await setUp({ askCommand: 'ls -a' });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    const esc = await waitFor(() => s.h.engine.escalations(missionId, true).find((e) => e.type === 'permission'), 30_000, 'the permission escalation');
    await waitFor(() => s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.state === 'waiting_escalation', 5_000, 'core-c1 to wait');
    s.h.engine.pause(missionId);
    await waitFor(() => claudeProcesses().length === 0, 6_000, 'the Claude Code process to stop on pause');
    await s.h.engine.decide({ id: esc.id, decision: 'approve', comment: '', alwaysAllow: false });
    const before = s.requests.length;
    await s.h.engine.resume(missionId);
    const decided = await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    expect(s.h.engine.get(missionId).mission.state).toBe('done');
    expect(decided.filter((e) => e.type === 'permission' && e.taskId === esc.taskId)).toEqual([]);
    const resumed = s.requests.slice(before).filter((r) => agentOf(r) === 'core-c1' && r.body.messages.some((m) => approvedWhileStopped(m, 'ls -a')));
    expect(resumed.length).toBeGreaterThan(0);
    expect(bashResult(resumed.at(-1), 'ls -a')?.is_error ?? false).toBe(false);
    await expectLedgerEqualsBilling(s, missionId);
    expect(s.h.errors).toEqual([]);
  }, 60_000);

  it('comes back from a crash while a coder waits on a permission: the session resumes by its id, nothing billed twice', async () => {
    const s = await setUp({ askCommand: 'ls -a' });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    const esc = await waitFor(() => s.h.engine.escalations(missionId, true).find((e) => e.type === 'permission'), 30_000, 'the permission escalation');
    await waitFor(() => s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.state === 'waiting_escalation', 5_000, 'core-c1 to wait');
    await sleep(200);
    const sessionId = sessionsOf(s, missionId, 'core-c1')[0]?.session_id ?? '';
    expect(sessionId).not.toBe('');
    const taskKey = s.h.engine.tasks(missionId).find((t) => t.id === esc.taskId)?.key ?? '';
    // The tool use that waits is in the agent's transcript, before and after the crash.
    const waiting = (): boolean =>
      s.h.engine
        .transcript(missionId, 'core-c1')
        .some((m) => JSON.stringify(m.content).includes('"command":"ls -a"'));
    expect(waiting()).toBe(true);
    const processes = claudeProcesses();
    expect(processes).toHaveLength(1);
    const rowsBefore = callRows(s, missionId).length;
    expect(rowsBefore).toBe(s.fake.billing.length);

    // The crash, in one instant: the ledger goes away under the running engine and Claude Code dies with the app.
    const crashed = s.h.engine;
    s.h.ledger.close();
    for (const p of processes) process.kill(p.pid, 'SIGKILL');
    await sleep(300);
    crashed.close();

    s.h.reopen(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: s.fake.url }));
    const after = s.h.engine.get(missionId);
    expect(after.mission.state).toBe('paused');
    expect(after.agents.find((a) => a.id === 'core-c1')?.state).toBe('waiting_escalation');
    expect(s.h.engine.escalations(missionId, true).map((e) => e.id)).toContain(esc.id);
    expect(waiting()).toBe(true);
    const before = s.requests.length;

    await s.h.engine.resume(missionId);
    const decided = await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    // The person answered the question asked before the crash, and was not asked it again.
    const permissions = decided.filter((e) => e.type === 'permission');
    expect(permissions[0]?.id).toBe(esc.id);
    expect(permissions.filter((e) => e.taskId === esc.taskId)).toHaveLength(1);
    // The session came back by its id, with the conversation it had.
    const resumed = s.requests.slice(before).find((r) => agentOf(r) === 'core-c1');
    const sent = JSON.stringify(resumed?.body.messages);
    expect(sent).toMatch(/"name":"Write"/);
    expect(sent).toContain('ls -a');
    expect(sessionsOf(s, missionId, 'core-c1').map((r) => r.session_id)).toContain(sessionId);
    // The resumed session heard the answer, and the approved command ran once, without a second question.
    const resumedTask = s.requests.slice(before).filter((r) => agentOf(r) === 'core-c1' && JSON.stringify(r.body.messages[0]).includes(`Task: ${taskKey}`));
    expect(JSON.stringify(resumedTask[0]?.body.messages)).toContain('`ls -a`: approved after your session stopped');
    const outcome = bashResult(resumedTask.at(-1), 'ls -a');
    expect(outcome?.is_error ?? false).toBe(false);
    expect(JSON.stringify(outcome?.content)).toContain('package.json');
    // Nothing billed twice, nothing lost.
    await expectLedgerEqualsBilling(s, missionId);
    const ids = s.h.ledger.db.prepare('SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM calls').get() as { n: number; d: number };
    expect(ids.d).toBe(ids.n);
    expect(s.h.errors).toEqual([]);
  }, 60_000);

  it('fails the agent with one line naming its session when the session cannot be resumed, and the mission goes on', async () => {
    const s = await setUp({ askCommand: 'ls -a' });
    const missionId = launch(s, [{ id: 'core', coders: 2, coderExtras: [claudeCoder, undefined] }]);
    await s.h.engine.start(missionId);
    await waitFor(() => s.h.engine.escalations(missionId, true).find((e) => e.type === 'permission'), 30_000, 'the permission escalation');
    await waitFor(() => s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.state === 'waiting_escalation', 5_000, 'core-c1 to wait');
    await sleep(200);
    const sessionId = sessionsOf(s, missionId, 'core-c1')[0]?.session_id ?? '';
    const processes = claudeProcesses();
    const crashed = s.h.engine;
    s.h.ledger.close();
    for (const p of processes) process.kill(p.pid, 'SIGKILL');
    await sleep(300);
    crashed.close();
    // Claude Code lost its record of the session (a cleaned-up config folder).
    const projects = join(s.h.dir, 'claude-code', 'projects');
    let removed = 0;
    for (const p of readdirSync(projects)) {
      const file = join(projects, p, `${sessionId}.jsonl`);
      if (existsSync(file)) {
        rmSync(file);
        removed += 1;
      }
    }
    expect(removed).toBe(1);
    const errorsBefore = s.h.errors.length;

    s.h.reopen(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: s.fake.url }));
    await s.h.engine.resume(missionId);
    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    const c1 = detail.agents.find((a) => a.id === 'core-c1');
    expect(c1?.state).toBe('failed');
    expect(c1?.stateReason).toContain(sessionId);
    expect(c1?.stateReason).toMatch(/cannot be resumed/);
    expect(c1?.stateReason).not.toContain('\n');
    // The built-in coder took the task over.
    expect(detail.tasks.every((t) => t.assignee === 'core-c2')).toBe(true);
    expect(sessionsOf(s, missionId, 'core-c1')[0]).toMatchObject({ session_id: sessionId, outcome: 'lost' });
    // The one error is that agent's, reported once.
    expect(s.h.errors.slice(errorsBefore).map((e) => e.what)).toEqual(['agent core-c1']);
  }, 60_000);

  it.each([
    [
      'CONTROL_ROOM_CLAUDE_CODE_PATH naming a missing file',
      (dir: string) => resolveClaudeCodeBinary({ [CLAUDE_CODE_PATH_ENV]: join(dir, 'nothing-here') }),
      /^Claude Code cannot run here: .*not installed/,
    ],
    ['a path that no longer exists', (dir: string) => join(dir, 'no-such-claude'), /^Claude Code failed: .*not found at .*no-such-claude/],
    [
      'a program that exits 1',
      (dir: string) => {
        const path = join(dir, 'broken-claude');
        writeFileSync(path, '#!/bin/sh\necho "claude: cannot start here" >&2\nexit 1\n');
        chmodSync(path, 0o755);
        return path;
      },
      // Its exit code and what it said, once.
      /^Claude Code failed: .*exited with code 1.*claude: cannot start here$/,
    ],
  ] as const)('fails a Claude Code agent with one clear line when its binary is %s; the built-in coder finishes the mission', async (_what, makeBinary, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-claude-bin-'));
    try {
      const s = await setUp({ hooks: { claudeCodeBinary: makeBinary(dir) } });
      const missionId = launch(s, [{ id: 'core', coders: 2, coderExtras: [claudeCoder, undefined] }]);
      await s.h.engine.start(missionId);
      await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
      const detail = s.h.engine.get(missionId);
      expect(detail.mission.state).toBe('done');
      expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
      const c1 = detail.agents.find((a) => a.id === 'core-c1');
      console.log(`binary (${_what}): ${c1?.stateReason ?? ''}`);
      expect(c1?.state).toBe('failed');
      expect(c1?.stateReason).toMatch(/^Claude Code /);
      expect(c1?.stateReason).not.toContain('\n');
      expect(c1?.stateReason?.length).toBeLessThan(300);
      expect(c1?.stateReason).toMatch(expected);
      expect(detail.agents.filter((a) => a.id !== 'core-c1').every((a) => a.state === 'done')).toBe(true);
      // Nothing thrown out of the engine: the one error is that agent's.
      expect(s.h.errors.map((e) => e.what)).toEqual(['agent core-c1']);
      await expectLedgerEqualsBilling(s, missionId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('stops a coder at its budget before the call is sent, asks the person, and resumes the session once the cap is raised', async () => {
    let missionId = '';
    let okCalls = 0;
    let capAt: { requests: number; billed: number } | undefined;
    const cap = (): string => scopedId(missionId, 'core-c1');
    const s = await setUp({
      hooks: {
        // Once core-c1's second call is billed, its cap is exactly what it has spent: the next call cannot fit.
        onCallRecorded: (row) => {
          if (row.agentId !== 'core-c1' || row.status !== 'ok' || ++okCalls !== 2 || !h) return;
          const spent = h.ledger.db.prepare('SELECT sum(cost_total_nano) FROM calls WHERE mission_id = ? AND agent_id = ?').pluck().get(missionId, 'core-c1') as number;
          h.budgets.setCap('agent', cap(), spent);
          capAt = { requests: fake?.stats.requests ?? 0, billed: fake?.billing.length ?? 0 };
        },
      },
    });
    missionId = launch(s);
    await s.h.engine.start(missionId);
    const esc = await waitFor(() => s.h.engine.escalations(missionId, true).find((e) => e.type === 'budget'), 30_000, 'the budget escalation');
    expect(esc).toMatchObject({ level: 'human', agentId: 'core-c1', state: 'open' });
    expect(esc.payload).toMatchObject({ scope: 'agent', scopeId: 'core-c1' });
    await waitFor(() => claudeProcesses().length === 0, 6_000, 'the blocked session to stop');
    await waitFor(() => !s.h.engine.isBusy(missionId) || s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.state === 'waiting_escalation', 5_000, 'core-c1 to wait');
    expect(s.h.engine.agents(missionId).find((a) => a.id === 'core-c1')?.state).toBe('waiting_escalation');
    // The refused call never reached the API.
    expect(capAt).toBeDefined();
    expect(s.fake.stats.requests).toBe(capAt?.requests);
    expect(s.fake.billing.length).toBe(capAt?.billed);
    const before = s.requests.length;
    const sessionId = sessionsOf(s, missionId, 'core-c1')[0]?.session_id;

    // The person raises the cap, then approves.
    s.h.budgets.setCap('agent', cap(), null);
    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 45_000);
    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    // The same session went on, from where it was stopped.
    const resumed = s.requests.slice(before).find((r) => agentOf(r) === 'core-c1');
    expect(JSON.stringify(resumed?.body.messages)).toContain('Carry on with your job');
    expect(resultsIn(resumed as FakeRequest)).toBeGreaterThanOrEqual(2);
    expect(sessionsOf(s, missionId, 'core-c1').map((r) => r.session_id)).toContain(sessionId);
    await expectLedgerEqualsBilling(s, missionId);
    expect(s.h.errors).toEqual([]);
  }, 60_000);
});
