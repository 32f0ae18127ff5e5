import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicProvider } from '../../llm/anthropic-provider.js';
import type { CacheControl, ConversationMessage, MessagesRequest } from '../../llm/provider.js';
import {
  DEFAULT_FAKE_API_KEY,
  startFakeMessagesApi,
  type BillingEntry,
  type FakeMessagesApi,
  type FakeResponder,
} from '../../llm/testing/fake-messages-api.js';
import type { MissionEngineOptions } from '../mission-engine.js';
import { createHarness, driveToEnd, saveDesign, type Harness } from '../testing/harness.js';
import { simulatedResponder } from '../testing/simulated-responder.js';

/**
 * Prompt caching of the built-in loop, over the real @anthropic-ai/sdk against the loopback
 * fake, whose prefix cache is the ground truth: where each request puts its breakpoints,
 * that every turn reads what the previous turn wrote, that a compaction is written once and
 * read afterwards, and that the ledger's cache columns are exactly what the fake billed.
 */

let h: Harness | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await h?.cleanup();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

// Project rules long enough to pass every model's minimum cacheable prefix (4,096 tokens
// for Opus and Haiku), as a repository's conventions often are.
const RULES = Array.from({ length: 180 }, (_, i) => `Rule ${i + 1}: keep modules small, name things for what they do, and test the behaviour a user relies on.`).join('\n');

interface Seen {
  body: MessagesRequest;
  bill: BillingEntry;
}

/** Runs a one-team mission (a leader, two coders) over the SDK against the fake; every request with what it was billed. */
async function runMission(options: Partial<MissionEngineOptions> = {}): Promise<{ missionId: string; seen: Seen[] }> {
  const sim = simulatedResponder({ seed: 7, questionRate: 0, commandRate: 0, rejectRate: 0 });
  const bodies = new Map<number, MessagesRequest>();
  const responder: FakeResponder = (request) => {
    const { stream: _stream, ...body } = request.body;
    bodies.set(request.index, body);
    return sim.responder(request);
  };
  fake = await startFakeMessagesApi({ responder });
  h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }), options);
  const design = saveDesign(h.ledger, [
    { id: 'core', coders: 2, coderExtra: { systemPrompt: RULES }, leaderExtra: { systemPrompt: RULES } },
  ]);
  const { id } = h.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  await h.engine.start(id);
  await driveToEnd(h, id, () => ({ decision: 'approve' }), 120_000);
  expect(h.engine.get(id).mission.state).toBe('done');
  await fake.whenIdle();
  const seen = fake.billing.map((bill) => {
    const body = bodies.get(Number(bill.requestId.replace('req_fake', '')));
    if (!body) throw new Error(`no request body for ${bill.requestId}`);
    return { body, bill };
  });
  return { missionId: id, seen };
}

const systemText = (r: MessagesRequest): string =>
  typeof r.system === 'string' ? r.system : (r.system ?? []).map((b) => b.text).join('\n');
/**
 * Calls of the built-in loop: its system prompt names the agent and its team. One-shot
 * calls (compaction, a leader's result summary) are never repeated and carry no breakpoint.
 */
const agentCalls = (seen: Seen[]): Seen[] =>
  seen.filter((s) => (s.body.tools ?? []).length > 0 && /^You are .+, (the leader|an? \w+) of team /i.test(systemText(s.body)));
const isLeader = (s: Seen): boolean => /, the leader of team /i.test(systemText(s.body));

function breakpoints(r: MessagesRequest): CacheControl[] {
  const out: CacheControl[] = [];
  for (const t of r.tools ?? []) if (t.cache_control) out.push(t.cache_control);
  if (Array.isArray(r.system)) for (const b of r.system) if (b.cache_control) out.push(b.cache_control);
  for (const m of r.messages) if (typeof m.content !== 'string') for (const b of m.content) if (b.cache_control) out.push(b.cache_control);
  return out;
}

/** A message as content, without breakpoints (which move from turn to turn). */
function bare(m: ConversationMessage): string {
  const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content.map(({ cache_control: _c, ...b }) => b);
  return JSON.stringify([m.role, blocks]);
}

/** The request of the same conversation's previous turn: the same system prompt, and all its messages then a reply. */
function previousTurn(seen: Seen[], index: number): Seen | undefined {
  const current = seen[index];
  if (!current) return undefined;
  const mine = current.body.messages.map(bare);
  for (let j = index - 1; j >= 0; j--) {
    const earlier = seen[j];
    if (!earlier || systemText(earlier.body) !== systemText(current.body)) continue;
    const theirs = earlier.body.messages.map(bare);
    if (theirs.length < mine.length && current.body.messages[theirs.length]?.role === 'assistant' && theirs.every((m, k) => m === mine[k])) return earlier;
  }
  return undefined;
}

const cached = (b: BillingEntry): number => b.cacheReadInputTokens + b.cacheCreationInputTokens;

/** Input tokens of a prompt, as the fake counts them (its count_tokens endpoint). */
async function countTokens(body: MessagesRequest): Promise<number> {
  const { max_tokens: _max, ...rest } = body;
  const res = await fetch(`${fake?.url}/v1/messages/count_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': DEFAULT_FAKE_API_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(rest),
  });
  return ((await res.json()) as { input_tokens: number }).input_tokens;
}

describe('prompt caching of built-in agents', () => {
  it('puts breakpoints on the stable prefix and the newest message, 1 hour for a leader, and each turn reads the one before', async () => {
    const { missionId, seen } = await runMission();
    const calls = agentCalls(seen);
    expect(calls.filter(isLeader).length).toBeGreaterThan(1);
    expect(calls.filter((s) => !isLeader(s)).length).toBeGreaterThan(4);
    for (const { body } of calls) {
      const system = body.system;
      expect(Array.isArray(system) && system.at(-1)?.cache_control).toBeTruthy();
      const last = body.messages.at(-1)?.content;
      expect(Array.isArray(last) && last.at(-1)?.cache_control).toBeTruthy();
      expect(breakpoints(body).length).toBeLessThanOrEqual(4);
    }
    // A leader waits on its coders for longer than 5 minutes: its prefix lives an hour.
    for (const s of calls) expect(breakpoints(s.body).map((c) => c.ttl ?? '5m')).toEqual(breakpoints(s.body).map(() => (isLeader(s) ? '1h' : '5m')));

    // Turn N > 1 reads exactly what turn N-1 cached: no silent miss anywhere.
    let pairs = 0;
    calls.forEach((s, i) => {
      const previous = previousTurn(calls, i);
      if (!previous) return;
      pairs += 1;
      expect(s.bill.cacheReadInputTokens).toBe(cached(previous.bill));
      expect(s.bill.cacheReadInputTokens).toBeGreaterThan(0);
    });
    expect(pairs).toBeGreaterThan(4);

    // The ledger's cache columns are what the fake billed, to the token.
    const sum = (f: (b: BillingEntry) => number): number => seen.reduce((n, s) => n + f(s.bill), 0);
    const ledger = h?.ledger.db
      .prepare(
        `SELECT sum(input_tokens) AS input, sum(cache_creation_5m_tokens) AS w5, sum(cache_creation_1h_tokens) AS w1,
                sum(cache_read_tokens) AS read, count(*) AS n FROM calls WHERE mission_id = ?`,
      )
      .get(missionId);
    expect(ledger).toEqual({
      input: sum((b) => b.inputTokens),
      w5: sum((b) => b.cacheCreation5mInputTokens),
      w1: sum((b) => b.cacheCreation1hInputTokens),
      read: sum((b) => b.cacheReadInputTokens),
      n: seen.length,
    });
    const byRole = h?.ledger.db
      .prepare('SELECT role, sum(cache_creation_5m_tokens) AS w5, sum(cache_creation_1h_tokens) AS w1, sum(cache_read_tokens) AS read FROM calls WHERE mission_id = ? GROUP BY role')
      .all(missionId) as { role: string; w5: number; w1: number; read: number }[];
    const leader = byRole.find((r) => r.role === 'leader');
    const coder = byRole.find((r) => r.role === 'coder');
    expect(leader?.w1).toBeGreaterThan(0);
    expect(leader?.w5).toBe(0);
    expect(coder?.w5).toBeGreaterThan(0);
    expect(coder?.w1).toBe(0);
    expect(coder?.read).toBeGreaterThan(coder?.w5 ?? 0);
  });

  it('writes a compacted conversation once and reads it on every later turn', async () => {
    // Coders compact often; leaders never, so the test looks at coders' conversations only.
    const { seen } = await runMission({ contextLimit: (model) => (model.startsWith('claude-sonnet') ? 300 : 1_000_000) });
    const calls = agentCalls(seen).filter((s) => !isLeader(s));
    const groups = new Map<string, Seen[]>();
    for (const s of calls) {
      const head = bare(s.body.messages[0] ?? { role: 'user', content: '' });
      if (!head.includes('[Summary of your earlier work')) continue;
      const key = `${systemText(s.body)}\n${head}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    expect(groups.size).toBeGreaterThan(0);
    let later = 0;
    for (const group of groups.values()) {
      const [first, ...rest] = group;
      if (!first) continue;
      // The prompt up to and including the summary, as the fake counts it (its cache counts
      // whole tokens of a prefix, rounded down: hence the 1 below).
      const upToHead = (await countTokens({ ...first.body, messages: first.body.messages.slice(0, 1) })) - 1;
      // The summary carries a breakpoint of its own, and the first turn after the compaction
      // writes it (the stable system prefix before it is read)...
      const head = first.body.messages[0]?.content;
      expect(Array.isArray(head) && head.at(-1)?.cache_control).toBeTruthy();
      expect(first.bill.cacheReadInputTokens).toBeGreaterThan(0);
      expect(first.bill.cacheReadInputTokens).toBeLessThan(upToHead);
      expect(cached(first.bill)).toBeGreaterThanOrEqual(upToHead);
      // ...and every later turn reads it, never writes it again (a later compaction that
      // summarises to the same text shares it too).
      for (const s of rest) {
        later += 1;
        expect(s.bill.cacheReadInputTokens).toBeGreaterThanOrEqual(upToHead);
      }
    }
    expect(later).toBeGreaterThan(0);
  });

  it('sends no breakpoint with caching off (the cost benchmark\'s baseline)', async () => {
    const { seen } = await runMission({ promptCaching: false });
    expect(seen.every((s) => breakpoints(s.body).length === 0 && cached(s.bill) === 0)).toBe(true);
  });
});
