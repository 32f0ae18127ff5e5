import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const quiet = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

describe('checkRepository', () => {
  it('accepts a checkout with the base branch, and names what is wrong otherwise', async () => {
    h = createHarness(quiet());
    await expect(h.engine.checkRepository(h.repo, 'main')).resolves.toBeUndefined();
    await expect(h.engine.checkRepository(h.repo, 'develop')).rejects.toThrow(
      /the base branch "develop" does not exist .*its branches are: main/,
    );
    const plain = join(h.dir, 'not-a-repo');
    mkdirSync(plain);
    await expect(h.engine.checkRepository(plain, 'main')).rejects.toThrow(/is not a git repository/);
    await expect(h.engine.checkRepository(join(h.dir, 'missing'), 'main')).rejects.toThrow(/does not exist/);
  });
});

describe('diff', () => {
  it("answers a coder's committed work against its team branch, and refuses other roles and drafts", async () => {
    h = createHarness(quiet());
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const m = h.engine.create({
      designId: design.id,
      goal: 'Build a todo CLI',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: false,
      allowedCommands: [],
      copyFiles: [],
    });
    await expect(h.engine.diff(m.id, 'core-c1')).rejects.toThrow(/has not started/);
    await expect(h.engine.diff(m.id, 'core-lead')).rejects.toThrow(/only coders have a branch/);
    await expect(h.engine.diff(m.id, 'nobody')).rejects.toThrow(/no agent "nobody"/);

    await h.engine.start(m.id);
    const fresh = await h.engine.diff(m.id, 'core-c1');
    expect(fresh).toMatchObject({ missionId: m.id, agentId: 'core-c1', files: [], additions: 0, truncated: false });
    expect(fresh.branch).toMatch(/^cr\/.+\/core-c1$/);

    // Work committed on the coder's branch (as a submit does) shows up, file by file.
    await waitFor(() => h!.engine.get(m.id).mission.state === 'awaiting_plan_approval', 15_000, 'the plan');
    const worktrees = git(h.repo, 'worktree', 'list', '--porcelain').split('\n\n');
    const entry = worktrees.find((w) => w.includes(`branch refs/heads/${fresh.branch}`));
    const worktree = entry?.split('\n')[0]?.replace(/^worktree /, '') ?? '';
    writeFileSync(join(worktree, 'todo.js'), 'export const todo = [];\n');
    git(worktree, 'add', 'todo.js');
    git(worktree, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'todo');
    const changed = await h.engine.diff(m.id, 'core-c1');
    expect(changed.files).toEqual([{ path: 'todo.js', status: 'added', additions: 1, deletions: 0 }]);
    expect(changed.diff).toContain('+export const todo = [];');
    expect(changed.head).toBe(git(worktree, 'rev-parse', 'HEAD'));

    // Without a loaded runtime (after a restart) the diff is read from the branches.
    h.reopen(quiet());
    expect((await h.engine.diff(m.id, 'core-c1')).files.map((f) => f.path)).toEqual(['todo.js']);
    expect(h.errors).toEqual([]);
  });
});

describe('the Diff tab of a coder', () => {
  it('shows its work in progress, uncommitted edits and new files too, then the change and commits it contributed', async () => {
    h = createHarness(quiet());
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const m = h.engine.create({
      designId: design.id,
      goal: 'Build a todo CLI',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: false,
      allowedCommands: [],
      copyFiles: [],
    });
    await h.engine.start(m.id);
    await waitFor(() => h!.engine.get(m.id).mission.state === 'awaiting_plan_approval', 15_000, 'the plan');
    const { branch } = await h.engine.diff(m.id, 'core-c1');
    const entry = git(h.repo, 'worktree', 'list', '--porcelain')
      .split('\n\n')
      .find((w) => w.includes(`branch refs/heads/${branch}`));
    const worktree = entry?.split('\n')[0]?.replace(/^worktree /, '') ?? '';

    // Mid-task: one file committed, one tracked file edited and one new file, neither committed.
    writeFileSync(join(worktree, 'store.js'), 'export const items = [];\n');
    git(worktree, 'add', 'store.js');
    git(worktree, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'store');
    writeFileSync(join(worktree, 'README.md'), '# demo\n\nA todo CLI.\n');
    mkdirSync(join(worktree, 'src'), { recursive: true });
    writeFileSync(join(worktree, 'src/cli.js'), 'import { items } from "../store.js";\nconsole.log(items);\n');
    const wip = await h.engine.diff(m.id, 'core-c1');
    expect(wip.mode).toBe('work-in-progress');
    expect(wip.uncommitted).toBe(true);
    expect(wip.files).toEqual([
      { path: 'README.md', status: 'modified', additions: 2, deletions: 0 },
      { path: 'src/cli.js', status: 'added', additions: 2, deletions: 0 },
      { path: 'store.js', status: 'added', additions: 1, deletions: 0 },
    ]);
    expect(wip.changes.find((f) => f.path === 'src/cli.js')?.patch).toContain('+console.log(items);');
    expect(wip.diff).toContain('+A todo CLI.');
    // Reading it changed nothing in the worktree: the new file is still untracked.
    expect(git(worktree, 'status', '--porcelain')).toContain('?? src/');
    git(worktree, 'reset', '-q', '--hard', 'HEAD~1');
    git(worktree, 'clean', '-fdq');

    // Once the mission is merged, the coder's own work is what its merged tasks brought.
    await driveToEnd(h, m.id);
    expect(h.engine.get(m.id).mission.state).toBe('done');
    const after = await h.engine.diff(m.id, 'core-c1');
    const mergedTasks = h.engine.tasks(m.id).filter((t) => t.assignee === 'core-c1' && t.mergedCommit);
    expect(mergedTasks.length).toBeGreaterThan(0);
    expect(after.mode).toBe('contributed');
    expect(after.files.length).toBeGreaterThan(0);
    const contributed = mergedTasks.flatMap((t) => git(h!.repo, 'log', '--format=%H', `${t.mergedCommit}^1..${t.mergedCommit}^2`).split('\n'));
    expect(new Set(after.commits.map((c) => c.sha))).toEqual(new Set(contributed));
    expect(after.commits.every((c) => c.author === 'core-c1')).toBe(true);
    const latest = h.engine.tasks(m.id).find((t) => t.id === after.taskId)!;
    expect(after.files.map((f) => f.path)).toEqual(
      git(h.repo, 'diff', '--name-only', `${latest.mergedCommit}^1`, latest.mergedCommit!).split('\n'),
    );
    expect(h.errors).toEqual([]);
  });
});
