import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OwnershipPolicy } from '../../../shared/mission.js';
import type { AgentSpec } from '../../../shared/team.js';
import { AnthropicProvider } from '../../llm/anthropic-provider.js';
import type { RequestContentBlock } from '../../llm/provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi, type FakeReply } from '../../llm/testing/fake-messages-api.js';
import { createHarness, driveToEnd, git, saveDesign, type Harness } from '../testing/harness.js';
import { scriptedTeamResponder } from '../testing/claude-code-fake-team.js';
import { resolveClaudeCodeBinary } from './claude-code-probe.js';

/**
 * Ownership for Claude Code coders, on this machine: the real Claude Code binary works in
 * each coder's worktree, its Write tool goes through the PreToolUse hook to the one
 * permission policy, and the loopback fake of the Messages API plays the team. A write
 * outside the task's owned paths is refused with whose path it is, or asked of the
 * (built-in) leader, whose answer decides: the same rule as for a built-in coder.
 */

const binary = resolveClaudeCodeBinary();
const run = binary ? describe : describe.skip;
if (!binary) console.log("claude-code-ownership.test: skipped, Claude Code's binary is not installed for this platform");

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

const say = (text: string): FakeReply => ({ content: [{ type: 'text', text }] });

/** A mission of two Claude Code coders (tasks alpha and beta, one file each) whose coders also try `stray(key)`. */
async function launch(ownership: OwnershipPolicy, stray: (key: string) => readonly string[]): Promise<{ harness: Harness; missionId: string }> {
  const team = scriptedTeamResponder({ command: 'git status --short', strayPaths: stray });
  fake = await startFakeMessagesApi({
    responder: (request) => {
      const tools = (request.body.tools ?? []).map((t) => t.name);
      if (!tools.includes('allow_write')) return team(request);
      // The leader answers a write request: docs are welcome, anything else is not.
      const answered = request.body.messages.some((m) => Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result'));
      if (answered) return say('Answered.');
      const prompt = JSON.stringify(request.body.messages[0]?.content ?? '');
      return prompt.includes('Asks to write: docs/')
        ? { content: [{ type: 'tool_use', name: 'allow_write', input: { comment: 'Docs are fine.' } }] }
        : { content: [{ type: 'tool_use', name: 'refuse_write', input: { reason: 'That file is not yours.' } }] };
    },
  });
  const harness = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }), {}, { claudeCode: true });
  h = harness;
  writeFileSync(join(harness.repo, 'CLAUDE.md'), 'Exports are named.\n');
  git(harness.repo, 'add', 'CLAUDE.md');
  git(harness.repo, 'commit', '-q', '-m', 'CLAUDE.md');
  const design = saveDesign(harness.ledger, [{ id: 'core', coders: 2, coderExtra: claudeCoder }]);
  const missionId = harness.engine.create({
    designId: design.id,
    goal: 'Add two helpers',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['git status --short'],
    copyFiles: [],
    director: false,
    settings: { ownership },
  }).id;
  await harness.engine.start(missionId);
  return { harness, missionId };
}

/** Every tool result a coder's transcript holds, as text. */
function toolResults(harness: Harness, missionId: string, agentId: string): string[] {
  return harness.engine
    .transcript(missionId, agentId)
    .flatMap((m) => (typeof m.content === 'string' ? [] : (m.content as RequestContentBlock[])))
    .flatMap((b) => (b.type === 'tool_result' ? [JSON.stringify(b.content)] : []));
}

run('Claude Code coders and owned paths', () => {
  it("are refused a Write into another task's file, told whose it is, and finish their own task", async () => {
    // Each coder also tries to write the other task's file.
    const { harness, missionId } = await launch('refuse', (key) => [key === 'alpha' ? 'src/beta.js' : 'src/alpha.js']);
    const decided = await driveToEnd(harness, missionId, () => ({ decision: 'approve' }), 150_000);

    expect(harness.engine.get(missionId).mission.state).toBe('done');
    expect(decided.filter((e) => e.type === 'permission')).toEqual([]);
    const coderOf = (key: string) => harness.engine.get(missionId).tasks.find((t) => t.key === key)?.assignee ?? '';
    expect(toolResults(harness, missionId, coderOf('alpha')).join('\n')).toContain('src/beta.js belongs to task \\"beta\\" (Add beta) of your team, not to your task');
    expect(toolResults(harness, missionId, coderOf('beta')).join('\n')).toContain('src/alpha.js belongs to task \\"alpha\\" (Add alpha) of your team, not to your task');
    // Each file on main is its own task's, not the stray write.
    expect(git(harness.repo, 'show', 'main:src/alpha.js')).toContain("return 'alpha'");
    expect(git(harness.repo, 'show', 'main:src/beta.js')).toContain("return 'beta'");
  }, 180_000);

  it("with the 'ask_leader' policy, ask the leader, whose answer allows or refuses the Write", async () => {
    // alpha asks for a doc (allowed), beta for the repository's CLAUDE.md (refused).
    const { harness, missionId } = await launch('ask_leader', (key) => [key === 'alpha' ? 'docs/alpha.md' : 'CLAUDE.md']);
    const decided = await driveToEnd(harness, missionId, () => ({ decision: 'approve' }), 150_000);

    expect(harness.engine.get(missionId).mission.state).toBe('done');
    expect(decided.filter((e) => e.type === 'permission')).toEqual([]);
    const asked = harness.engine.escalations(missionId, false).filter((e) => e.type === 'permission');
    expect(asked.map((e) => [e.title.replace(/^core-c\d/, 'coder'), e.level, e.decidedBy, e.decision]).sort()).toEqual([
      ["coder asks to write CLAUDE.md, outside its task's paths", 'leader', 'leader', 'deny'],
      ["coder asks to write docs/alpha.md, outside its task's paths", 'leader', 'leader', 'approve'],
    ]);
    expect(git(harness.repo, 'show', 'main:docs/alpha.md')).toBe('stray write by alpha');
    expect(git(harness.repo, 'show', 'main:CLAUDE.md')).toBe('Exports are named.');
    const coderOf = (key: string) => harness.engine.get(missionId).tasks.find((t) => t.key === key)?.assignee ?? '';
    expect(toolResults(harness, missionId, coderOf('beta')).join('\n')).toContain('Your leader did not allow this');
    expect(toolResults(harness, missionId, coderOf('beta')).join('\n')).toContain('That file is not yours.');
  }, 180_000);
});
