import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

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
