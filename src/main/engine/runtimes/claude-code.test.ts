import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationView } from '../../../shared/mission.js';
import type { AgentSpec } from '../../../shared/team.js';
import { AnthropicProvider } from '../../llm/anthropic-provider.js';
import type { RequestContentBlock } from '../../llm/provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi, type FakeRequest } from '../../llm/testing/fake-messages-api.js';
import { createHarness, driveToEnd, git, saveDesign, type Harness } from '../testing/harness.js';
import { scriptedTeamResponder } from '../testing/claude-code-fake-team.js';
import { resolveClaudeCodeBinary } from './claude-code-probe.js';

/**
 * The Claude Code runtime end to end, on this machine: the real SDK starts the real
 * Claude Code binary in each coder's worktree; its model traffic goes through Control
 * Room's loopback gateway to a loopback fake of the Messages API, which plays the team.
 */

const binary = resolveClaudeCodeBinary();
const run = binary ? describe : describe.skip;
if (!binary) console.log("claude-code.test: skipped, Claude Code's binary is not installed for this platform");

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
  permissions: { allowedCommands: ['git status --short'], writeScope: [] },
};

interface Setup {
  h: Harness;
  fake: FakeMessagesApi;
  requests: FakeRequest[];
}

async function setUp(options: { askCommand?: string; coderExtra?: Partial<AgentSpec> } = {}): Promise<Setup> {
  const requests: FakeRequest[] = [];
  const respond = scriptedTeamResponder({ command: 'git status --short', ...(options.askCommand ? { askCommand: options.askCommand } : {}) });
  fake = await startFakeMessagesApi({
    responder: (request) => {
      requests.push(request);
      return respond(request);
    },
  });
  h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }), {}, { claudeCode: true });
  // The repository's CLAUDE.md: Claude Code must read it ('project' settings).
  writeFileSync(join(h.repo, 'CLAUDE.md'), 'House rule for agents: CLAUDE-MD-HONOURED, exports are named.\n');
  git(h.repo, 'add', 'CLAUDE.md');
  git(h.repo, 'commit', '-q', '-m', 'CLAUDE.md');
  return { h, fake, requests };
}

function launch(s: Setup, coderExtra: Partial<AgentSpec> = claudeCoder, leaderExtra?: Partial<AgentSpec>): string {
  const design = saveDesign(s.h.ledger, [{ id: 'core', coders: 2, coderExtra, ...(leaderExtra ? { leaderExtra } : {}) }]);
  return s.h.engine.create({
    designId: design.id,
    goal: 'Add two helpers',
    repoPath: s.h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['git status --short'],
    copyFiles: [],
  }).id;
}

interface CallSums {
  n: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** The content blocks of an agent's transcript, in order. */
function transcriptBlocks(s: Setup, missionId: string, agentId: string): RequestContentBlock[] {
  return s.h.engine.transcript(missionId, agentId).flatMap((m) => (typeof m.content === 'string' ? [] : (m.content as RequestContentBlock[])));
}

function ledgerSums(s: Setup, missionId: string): CallSums {
  return s.h.ledger.db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
              coalesce(sum(cache_read_tokens), 0) AS cacheRead,
              coalesce(sum(cache_creation_5m_tokens + cache_creation_1h_tokens), 0) AS cacheWrite
       FROM calls WHERE mission_id = ?`,
    )
    .get(missionId) as CallSums;
}

function fakeSums(f: FakeMessagesApi): CallSums {
  return f.billing.reduce<CallSums>(
    (acc, b) => ({
      n: acc.n + 1,
      input: acc.input + b.inputTokens,
      output: acc.output + b.outputTokens,
      cacheRead: acc.cacheRead + b.cacheReadInputTokens,
      cacheWrite: acc.cacheWrite + b.cacheCreation5mInputTokens + b.cacheCreation1hInputTokens,
    }),
    { n: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );
}

run('Claude Code agents', () => {
  it('finish a mission with a built-in leader: real worktrees, branches, review, merge, and a ledger equal to what the API billed', async () => {
    const s = await setUp({ askCommand: 'ls -a' });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    const decided = await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 150_000);

    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.tasks.map((t) => t.state)).toEqual(['merged', 'merged']);
    // Claude Code's Write landed on each coder's branch and, after review and merge, on main.
    expect(git(s.h.repo, 'show', 'main:src/alpha.js')).toContain("return 'alpha'");
    expect(git(s.h.repo, 'show', 'main:src/beta.js')).toContain("return 'beta'");

    // The command outside the allowlist reached the inbox once per coder and each session went on.
    const permissions = decided.filter((e: EscalationView) => e.type === 'permission');
    expect(permissions).toHaveLength(2);
    expect(permissions.every((e) => e.title.includes('ls -a'))).toBe(true);

    // Exactly what the fake billed, call for call.
    await s.fake.whenIdle();
    expect(ledgerSums(s, missionId)).toEqual(fakeSums(s.fake));
    const ids = s.h.ledger.db.prepare('SELECT request_id FROM calls WHERE mission_id = ? ORDER BY request_id').pluck().all(missionId);
    expect(ids).toEqual(s.fake.billing.map((b) => b.requestId).sort());
    // Every call is attributed to the agent that made it; both coders made theirs through the gateway.
    const byAgent = s.h.ledger.db
      .prepare('SELECT agent_id, count(*) AS n FROM calls WHERE mission_id = ? GROUP BY agent_id ORDER BY agent_id')
      .all(missionId) as { agent_id: string; n: number }[];
    expect(byAgent.map((r) => r.agent_id)).toEqual(['core-c1', 'core-c2', 'core-lead']);
    expect(byAgent.find((r) => r.agent_id === 'core-c1')?.n).toBeGreaterThanOrEqual(5);

    // Claude Code read the repository's CLAUDE.md, and its requests came through the beta path.
    const coderRequests = s.requests.filter((r) => (r.body.tools ?? []).some((t) => t.name === 'mcp__control-room__submit_task'));
    expect(coderRequests.length).toBeGreaterThan(0);
    expect(JSON.stringify(coderRequests[0]?.body.messages)).toContain('CLAUDE-MD-HONOURED');

    // The agent drawer's transcript shows Claude Code's tool uses and their results.
    const blocks = transcriptBlocks(s, missionId, 'core-c1');
    const names = blocks.flatMap((b) => (b.type === 'tool_use' ? [b.name] : []));
    expect(names).toEqual(expect.arrayContaining(['Write', 'Bash', 'mcp__control-room__submit_task']));
    expect(blocks.some((b) => b.type === 'tool_result')).toBe(true);

    // Each job's session is recorded, with how it ended; costs per agent come from the ledger.
    const sessions = s.h.ledger.db.prepare('SELECT agent_id, outcome FROM agent_sessions WHERE mission_id = ?').all(missionId) as { agent_id: string; outcome: string }[];
    expect(sessions.filter((r) => r.agent_id.startsWith('core-c')).map((r) => r.outcome)).toEqual(['completed', 'completed']);
    const agents = s.h.engine.agents(missionId);
    const total = s.h.ledger.db.prepare('SELECT sum(cost_total_nano) FROM calls WHERE mission_id = ?').pluck().get(missionId) as number;
    expect(agents.reduce((n, a) => n + a.costNanoUsd, 0)).toBe(total);
    expect(agents.every((a) => a.state === 'done')).toBe(true);
  }, 180_000);

  it('lets a Claude Code leader plan and review through the same tools, rows and inbox, over built-in coders', async () => {
    const s = await setUp();
    const builtInCoder: Partial<AgentSpec> = { permissions: { allowedCommands: ['git status --short'], writeScope: [] } };
    const missionId = launch(s, builtInCoder, { runtime: 'claude-code' });
    await s.h.engine.start(missionId);
    await driveToEnd(s.h, missionId, () => ({ decision: 'approve' }), 150_000);
    const detail = s.h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    // The plan the Claude Code leader made with mcp__control-room__create_task: the same task rows.
    expect(detail.tasks.map((t) => [t.key, t.state])).toEqual([
      ['alpha', 'merged'],
      ['beta', 'merged'],
    ]);
    expect(git(s.h.repo, 'show', 'main:src/beta.js')).toContain("return 'beta'");
    const names = transcriptBlocks(s, missionId, 'core-lead').flatMap((b) => (b.type === 'tool_use' ? [b.name] : []));
    expect(names).toEqual(
      expect.arrayContaining(['mcp__control-room__create_task', 'mcp__control-room__submit_plan', 'mcp__control-room__approve_submission']),
    );
    await s.fake.whenIdle();
    expect(ledgerSums(s, missionId)).toEqual(fakeSums(s.fake));
  }, 180_000);

  it('refuses a command when the person denies it, and the session carries on without it', async () => {
    const s = await setUp({ askCommand: 'ls -a' });
    const missionId = launch(s);
    await s.h.engine.start(missionId);
    const decided = await driveToEnd(
      s.h,
      missionId,
      (e) => (e.type === 'permission' ? { decision: 'deny', comment: 'not needed' } : { decision: 'approve' }),
      150_000,
    );
    expect(s.h.engine.get(missionId).mission.state).toBe('done');
    expect(decided.filter((e) => e.type === 'permission').map((e) => e.decision)).toEqual(['deny', 'deny']);
    // The model saw the refusal, with the person's comment, as the tool's result.
    const results = transcriptBlocks(s, missionId, 'core-c1')
      .filter((b) => b.type === 'tool_result')
      .map((b) => JSON.stringify(b));
    expect(results.some((r) => r.includes('not needed'))).toBe(true);
  }, 180_000);
});
