import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EscalationView } from '../../shared/mission.js';
import type { MissionRecord } from '../ledger/mission-repository.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { keepBothSides } from '../llm/simulated/leader.js';
import { resolutionPrompt } from './conflict-prompt.js';
import { ScriptedProvider } from './testing/scripted-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

/**
 * Conflicts go to a leader first, on real git repositories: two teams of one phase both
 * change README.md (committed on their team branches while the plan waits for approval,
 * as their coders would have), so the second team's merge into the mission branch
 * conflicts. Its leader resolves it on a branch of its own, the tests run, and the mission
 * goes on without the person seeing the conflict; a resolution the tests refuse reaches
 * the Inbox with what was tried; a restart mid-resolution resumes it; and a base branch
 * that moved on conflicts at the final merge and goes to a leader too.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const sim = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });
const TEST_COMMAND = 'node scripts/test.mjs';

/** Commits the mission's test script on main: it fails on conflict markers, and on `forbidden` lines together. */
function addTestScript(harness: Harness, forbidden: string[] | null): void {
  mkdirSync(join(harness.repo, 'scripts'), { recursive: true });
  const check = forbidden
    ? `if (${JSON.stringify(forbidden)}.every((l) => text.includes(l))) { console.error('README.md must not hold all of ${forbidden.join(' and ')}'); process.exit(1); }`
    : '';
  writeFileSync(
    join(harness.repo, 'scripts', 'test.mjs'),
    `import { readFileSync } from 'node:fs';\nconst text = readFileSync('README.md', 'utf8');\nif (text.includes('<<<<<<<')) { console.error('conflict markers in README.md'); process.exit(1); }\n${check}\nconsole.log('ok');\n`,
  );
  git(harness.repo, 'add', '.');
  git(harness.repo, 'commit', '-q', '-m', 'test script');
}

function launch(harness: Harness): string {
  const design = saveDesign(harness.ledger, [
    { id: 'a', coders: 1, brief: { focus: 'Storage', owns: ['src/storage'] } },
    { id: 'b', coders: 1, brief: { focus: 'Parsing', owns: ['src/parsing'] } },
  ]);
  return harness.engine.create({
    designId: design.id,
    goal: 'Build a bookmarks manager',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: false,
    allowedCommands: [TEST_COMMAND],
    copyFiles: [],
    director: false,
  }).id;
}

/** A team's integration worktree, as git lists it. */
/** `cr/<mission slug>`: the folder of the mission's branches, named after the mission. */
function branchesOf(missionId: string): string {
  return (h?.engine.get(missionId).mission.missionBranch ?? '').replace(/\/@mission$/, '');
}

function teamWorktree(harness: Harness, missionId: string, teamId: string): string {
  const list = git(harness.repo, 'worktree', 'list', '--porcelain').split('\n\n');
  const entry = list.find((e) => e.includes(`branch refs/heads/${branchesOf(missionId)}/${teamId}/@team`));
  const path = /^worktree (.*)$/m.exec(entry ?? '')?.[1];
  if (!path) throw new Error(`no worktree for team ${teamId}`);
  return path;
}

/** Commits a README line on a team branch, as that team's work. */
function teamEditsReadme(harness: Harness, missionId: string, teamId: string, line: string): void {
  const cwd = teamWorktree(harness, missionId, teamId);
  writeFileSync(join(cwd, 'README.md'), `# demo\n${line}\n`);
  git(cwd, 'commit', '-q', '-am', `${teamId} edits the README`);
}

/** Starts the mission and, while its plan waits for approval, has teams edit the README; then approves the plan. */
async function startWithReadmeEdits(harness: Harness, missionId: string, edits: Record<string, string>): Promise<void> {
  await harness.engine.start(missionId);
  const plan = await waitFor(() => harness.engine.escalations(missionId, true).find((e) => e.type === 'plan_approval'), 30_000, 'the plan');
  for (const [teamId, line] of Object.entries(edits)) teamEditsReadme(harness, missionId, teamId, line);
  await harness.engine.decide({ id: plan.id, decision: 'approve', comment: '', alwaysAllow: false });
}

function logNotes(harness: Harness, missionId: string): Record<string, unknown>[] {
  return (harness.ledger.db.prepare("SELECT detail_json FROM mission_log WHERE mission_id = ? AND kind = 'note' ORDER BY id").pluck().all(missionId) as string[])
    .map((d) => JSON.parse(d) as Record<string, unknown>)
    .filter((d) => typeof d.resolution === 'string');
}

function conversations(harness: Harness, missionId: string, agentId: string): string[] {
  return [...new Set(harness.engine.transcript(missionId, agentId).map((e) => e.conversation))];
}

describe('a conflict between two teams of one phase', () => {
  it("is resolved by the merging team's leader, tested and merged, with nothing in the Inbox", async () => {
    h = createHarness(sim());
    addTestScript(h, null);
    const missionId = launch(h);
    await startWithReadmeEdits(h, missionId, { a: 'from A', b: 'from B' });
    const decided = await driveToEnd(h, missionId);
    expect(decided.map((e) => e.type)).toEqual(['final_merge']);
    const detail = h.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    expect(detail.teams.map((t) => t.phaseState)).toEqual(['merged', 'merged']);

    // The person never saw it: the conflict was a leader's, decided by the leader.
    const conflicts = detail.escalations.filter((e) => e.type === 'merge_conflict');
    expect(conflicts.map((e) => [e.level, e.state, e.decision, e.decidedBy, e.teamId])).toEqual([['leader', 'resolved', 'approve', 'leader', 'b']]);
    const resolution = conflicts[0]?.payload.resolution as { leaderName: string; branch: string; attempts: { problem: string | null; testOutput: string | null }[] };
    expect(resolution.leaderName).toBe('b-lead');
    expect(resolution.branch).toBe(`${branchesOf(missionId)}/@resolve/b`);
    // The tests ran on the resolution and passed.
    expect(resolution.attempts).toHaveLength(1);
    expect(resolution.attempts[0]?.problem).toBeNull();
    expect(resolution.attempts[0]?.testOutput).toContain(`$ ${TEST_COMMAND}\n(exit code 0`);

    // The leader was told the files, both sides and the tests' output, in a job of its own.
    expect(conversations(h, missionId, 'b-lead')).toContain(`resolve:${conflicts[0]?.id}`);
    const prompt = h.engine.transcript(missionId, 'b-lead').find((e) => e.conversation.startsWith('resolve:') && e.role === 'user');
    const text = typeof prompt?.content === 'string' ? prompt.content : '';
    expect(text).toContain('Conflicting files: README.md');
    expect(text).toContain('+from A');
    expect(text).toContain('+from B');
    expect(text).toContain(`Output of \`${TEST_COMMAND}\``);
    expect(text).toContain('conflict markers in README.md');

    // Both teams' lines reached main, and team B was merged into the mission branch once.
    expect(git(h.repo, 'show', 'main:README.md')).toBe('# demo\nfrom A\nfrom B');
    const merges = git(h.repo, 'log', '--merges', '--format=%s', `${branchesOf(missionId)}/@mission`).split('\n');
    expect(merges.filter((s) => s.startsWith('Merge Team b into mission'))).toHaveLength(1);
    expect(logNotes(h, missionId).map((d) => d.resolution)).toEqual(['started', 'landed']);
    const log = h.engine.log(missionId, 0, 2_000).map((r) => r.summary);
    expect(log).toContain(`b-lead of Team b is resolving a merge conflict on ${branchesOf(missionId)}/@resolve/b (your team's branch is the one whose merge conflicts)`);
    expect(log.some((line) => line.startsWith('b-lead resolved the merge conflict: “Kept both sides in README.md'))).toBe(true);
    // The resolution's worktree is gone; its branch stays for the record.
    expect(git(h.repo, 'worktree', 'list')).not.toContain('@resolve');
    expect(git(h.repo, 'rev-parse', '--verify', `${branchesOf(missionId)}/@resolve/b`)).toMatch(/^[0-9a-f]{40}$/);
    expect(h.errors).toEqual([]);
  }, 120_000);

  it('reaches the Inbox as merge_conflict with what was tried when the tests refuse the resolution', async () => {
    h = createHarness(sim());
    addTestScript(h, ['from A', 'from B']);
    const missionId = launch(h);
    await startWithReadmeEdits(h, missionId, { a: 'from A', b: 'from B' });
    const decided = await driveToEnd(h, missionId, (e) => ({ decision: e.type === 'merge_conflict' ? 'deny' : 'approve' }));
    expect(decided.map((e) => [e.type, e.level])).toEqual([['merge_conflict', 'human']]);
    const esc = decided[0] as EscalationView;
    expect(esc.teamId).toBe('b');
    expect(esc.detail).toContain('Conflicting files: README.md.');
    expect(esc.detail).toContain(`b-lead tried to resolve it on ${branchesOf(missionId)}/@resolve/b`);
    expect(esc.detail).toMatch(/Attempt 1: Kept both sides in README.md.* — refused: `node scripts\/test.mjs` failed/);
    expect(esc.detail).toContain('README.md must not hold all of from A and from B');
    expect(esc.detail).toContain('b-lead passed this on: b-lead gave up:');
    expect(h.engine.get(missionId).mission.state).toBe('failed');
    expect(logNotes(h, missionId).map((d) => d.resolution)).toEqual(['started', 'refused', 'escalated']);
    const log = h.engine.log(missionId, 0, 2_000).map((r) => r.summary);
    expect(log).toContain("Team b's resolution was refused (attempt 1): `node scripts/test.mjs` failed");
    expect(log.some((line) => line.startsWith('The merge conflict went to the person: b-lead gave up:'))).toBe(true);
    // The leader's attempt stays where the person can look at it.
    expect(git(h.repo, 'worktree', 'list')).toContain('@resolve');
    expect(h.errors).toEqual([]);
  }, 120_000);

  it('resumes a pending resolution after a restart, in the same job, and merges the team once', async () => {
    let held = false;
    const holding = new ScriptedProvider({
      fallback: sim(),
      hold: (_request, info) => {
        if (held || !info.tools.includes('submit_resolution')) return false;
        held = true;
        return true;
      },
    });
    h = createHarness(holding);
    addTestScript(h, null);
    const missionId = launch(h);
    await startWithReadmeEdits(h, missionId, { a: 'from A', b: 'from B' });
    const harness = h;
    await waitFor(() => holding.held.length > 0, 60_000, "the leader's resolution call");
    const pending = harness.engine.escalations(missionId, true).find((e) => e.type === 'merge_conflict');
    expect([pending?.level, pending?.state]).toEqual(['leader', 'open']);

    harness.ledger.close();
    await new Promise((r) => setTimeout(r, 200));
    harness.reopen(sim());
    expect(harness.engine.get(missionId).mission.state).toBe('paused');
    await harness.engine.resume(missionId);
    const decided = await driveToEnd(harness, missionId);
    expect(decided.map((e) => e.type)).toEqual(['final_merge']);
    expect(harness.engine.get(missionId).mission.state).toBe('done');

    const conflicts = harness.engine.get(missionId).escalations.filter((e) => e.type === 'merge_conflict');
    expect(conflicts.map((e) => [e.id, e.level, e.decidedBy])).toEqual([[pending?.id, 'leader', 'leader']]);
    // One resolution job, resumed: its transcript holds one prompt.
    const prompts = harness.engine.transcript(missionId, 'b-lead').filter((e) => e.conversation === `resolve:${pending?.id}` && e.role === 'user' && typeof e.content === 'string');
    expect(prompts).toHaveLength(1);
    const merges = git(harness.repo, 'log', '--merges', '--format=%s', `${branchesOf(missionId)}/@mission`).split('\n');
    expect(merges.filter((s) => s.startsWith('Merge Team b into mission'))).toHaveLength(1);
    expect(merges.filter((s) => s.startsWith('Merge Team a into mission'))).toHaveLength(1);
    expect(git(harness.repo, 'show', 'main:README.md')).toBe('# demo\nfrom A\nfrom B');
  }, 120_000);
});

describe('the final merge into a base that moved on', () => {
  it('goes to the leader of the team that delivered the conflicting file, then merges', async () => {
    h = createHarness(sim());
    addTestScript(h, null);
    const missionId = launch(h);
    await startWithReadmeEdits(h, missionId, { a: 'from A' });
    const harness = h;
    const finalMerge = await waitFor(() => harness.engine.escalations(missionId, true).find((e) => e.type === 'final_merge'), 60_000, 'the final merge');
    // Meanwhile someone changed the same line on main.
    writeFileSync(join(harness.repo, 'README.md'), '# demo\nfrom main\n');
    git(harness.repo, 'commit', '-q', '-am', 'main moves on');
    await harness.engine.decide({ id: finalMerge.id, decision: 'approve', comment: '', alwaysAllow: false });
    const decided = await driveToEnd(harness, missionId);
    expect(decided).toEqual([]);
    const detail = harness.engine.get(missionId);
    expect(detail.mission.state).toBe('done');
    const conflicts = detail.escalations.filter((e) => e.type === 'merge_conflict');
    expect(conflicts.map((e) => [e.level, e.decidedBy, e.teamId, e.payload.stage])).toEqual([['leader', 'leader', 'a', 'final']]);
    const resolution = conflicts[0]?.payload.resolution as { leaderName: string; why: string; branch: string };
    expect(resolution.leaderName).toBe('a-lead');
    expect(resolution.why).toBe('your team delivered 1 of the 1 conflicting files');
    expect(resolution.branch).toBe(`${branchesOf(missionId)}/@resolve/@final`);
    expect(git(harness.repo, 'show', 'main:README.md')).toBe('# demo\nfrom A\nfrom main');
    expect(detail.mission.finalCommit).toBe(git(harness.repo, 'rev-parse', 'main'));
    expect(harness.errors).toEqual([]);
  }, 120_000);
});

describe('the simulated leader', () => {
  it('keeps both sides of disjoint conflict hunks, ours first, without repeating a line', () => {
    const conflicted = 'a\n<<<<<<< HEAD\nfrom A\nshared\n||||||| base\nold\n=======\nfrom B\nshared\n>>>>>>> cr/m/b/@team\nz\n';
    expect(keepBothSides(conflicted)).toBe('a\nfrom A\nshared\nfrom B\nz\n');
    expect(keepBothSides('no conflict\n')).toBe('no conflict\n');
  });

  it('is briefed with the facts first, which it resolves from', () => {
    const prompt = resolutionPrompt({
      mission: { goal: 'Ship it' } as MissionRecord,
      merging: 'merging Team B into cr/m/@mission',
      why: 'your team',
      branch: 'cr/m/@resolve/b',
      conflicts: ['a.txt', 'b.txt'],
      ours: '',
      theirs: '',
      allowedCommands: [],
      testCommand: null,
      testOutput: null,
      maxAttempts: 3,
    });
    expect(prompt.split('\n').slice(0, 5)).toEqual([
      'Goal: Ship it',
      'Merge conflict: merging Team B into cr/m/@mission',
      'Why you: your team',
      'Branch: cr/m/@resolve/b',
      'Conflicting files: a.txt, b.txt',
    ]);
    expect(prompt).toContain('No test command is allowed in this mission.');
  });
});
