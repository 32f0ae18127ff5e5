import { afterEach, describe, expect, it } from 'vitest';
import type { OwnershipPolicy } from '../../../shared/mission.js';
import type { RequestContentBlock } from '../../llm/provider.js';
import { SimulatedProvider } from '../../llm/simulated-provider.js';
import { createHarness, driveToEnd, git, saveDesign, waitFor, type Harness } from '../testing/harness.js';
import { ScriptedProvider, type ScriptedTurn } from '../testing/scripted-provider.js';

/**
 * Ownership that holds, through the engine with real git and a real ledger: leaders'
 * overlapping `owns` are refused at plan time (within a team, across teams of one phase,
 * not across phases), and a built-in coder's write outside its task's paths is refused
 * with whose path it is, or asked of its leader, whose answer decides.
 */

let h: Harness | undefined;
afterEach(() => {
  void h?.cleanup();
  h = undefined;
});

const quiet = () => new SimulatedProvider({ seed: 5, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

interface TaskInput {
  key: string;
  owns: string[];
}
const createTask = ({ key, owns }: TaskInput): ScriptedTurn => ({
  tool: 'create_task',
  input: {
    key,
    title: `Make ${key}`,
    description: `Write ${owns.join(', ')}.`,
    acceptance_criteria: [`${key} exists`],
    owns,
    depends_on: [],
  },
});

/** Tool results so far in a request's conversation: which step of a script comes next. */
function resultsSoFar(messages: readonly { role: string; content: unknown }[]): number {
  let n = 0;
  for (const m of messages) if (m.role === 'user' && Array.isArray(m.content)) n += (m.content as RequestContentBlock[]).filter((b) => b.type === 'tool_result').length;
  return n;
}

/** Each leader's plan, by agent name; every other call is the simulated provider's. */
function planningProvider(plans: Record<string, TaskInput[]>, more: ConstructorParameters<typeof ScriptedProvider>[0]['script'] = () => undefined) {
  return new ScriptedProvider({
    fallback: quiet(),
    script: (request, info) => {
      const plan = plans[info.agent];
      if (plan && info.tools.includes('create_task')) {
        if (resultsSoFar(request.messages) > 0) return [{ text: 'Planned.' }];
        return [...plan.map(createTask), { tool: 'submit_plan', input: { summary: `${plan.length} tasks` } }];
      }
      return more(request, info);
    },
  });
}

/** The tool results an agent received, as text, with whether each was an error. */
function results(harness: Harness, missionId: string, agentId: string): { text: string; isError: boolean }[] {
  return harness.engine
    .transcript(missionId, agentId)
    .flatMap((m) => (typeof m.content === 'string' ? [] : (m.content as RequestContentBlock[])))
    .flatMap((b) => (b.type === 'tool_result' ? [{ text: JSON.stringify(b.content), isError: b.is_error === true }] : []));
}

function launch(harness: Harness, designId: string, extra: { skipPlanApproval?: boolean; ownership?: OwnershipPolicy } = {}): string {
  return harness.engine.create({
    designId,
    goal: 'Build the thing',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: extra.skipPlanApproval ?? false,
    allowedCommands: ['node --test'],
    copyFiles: [],
    director: false,
    ...(extra.ownership ? { settings: { ownership: extra.ownership } } : {}),
  }).id;
}

describe('plan-time ownership', () => {
  it("refuses a task whose paths overlap another task's of its team, naming both, and keeps the rest of the plan", async () => {
    h = createHarness(
      planningProvider({
        'core-lead': [
          { key: 'schema', owns: ['src/db/'] },
          { key: 'migrate', owns: ['./src/db/migrate.js'] },
          { key: 'api', owns: ['src/api.js'] },
        ],
      }),
    );
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const missionId = launch(h, design.id);
    await h.engine.start(missionId);
    const harness = h;
    await waitFor(() => harness.engine.get(missionId).mission.state === 'awaiting_plan_approval', 15_000, 'the plan');

    expect(h.engine.get(missionId).tasks.map((t) => t.key)).toEqual(['schema', 'api']);
    const refused = results(h, missionId, 'core-lead').filter((r) => r.isError);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.text).toContain(
      'task \\"migrate\\" would own \\"./src/db/migrate.js\\", which overlaps \\"src/db/\\", owned by task \\"schema\\" (\\"Make schema\\") of your team.',
    );
  });

  it('refuses overlapping paths across two teams of the same phase, to whichever plans second', async () => {
    h = createHarness(
      planningProvider({
        'api-lead': [
          { key: 'config', owns: ['src/shared/config.js'] },
          { key: 'routes', owns: ['src/routes.js'] },
        ],
        'web-lead': [
          { key: 'shared', owns: ['src/shared'] },
          { key: 'pages', owns: ['web/pages.js'] },
        ],
      }),
    );
    const design = saveDesign(h.ledger, [
      { id: 'api', coders: 1 },
      { id: 'web', coders: 1 },
    ]);
    const missionId = launch(h, design.id);
    await h.engine.start(missionId);
    const harness = h;
    await waitFor(() => harness.engine.get(missionId).mission.state === 'awaiting_plan_approval', 15_000, 'the plans');

    const keys = h.engine.get(missionId).tasks.map((t) => t.key).sort();
    const apiRefused = results(h, missionId, 'api-lead').filter((r) => r.isError);
    const webRefused = results(h, missionId, 'web-lead').filter((r) => r.isError);
    // One of the two contested tasks was refused, the other planned; nothing else was touched.
    expect(apiRefused.length + webRefused.length).toBe(1);
    if (webRefused.length === 1) {
      expect(keys).toEqual(['config', 'pages', 'routes']);
      expect(webRefused[0]?.text).toContain('owned by task \\"config\\" (\\"Make config\\") of Team api, which works in the same phase');
    } else {
      expect(keys).toEqual(['pages', 'routes', 'shared']);
      expect(apiRefused[0]?.text).toContain('owned by task \\"shared\\" (\\"Make shared\\") of Team web, which works in the same phase');
    }
  });

  it('lets a team of a later phase own paths an earlier phase owned: it builds on them', async () => {
    h = createHarness(
      planningProvider({
        'api-lead': [{ key: 'config', owns: ['src/shared/config.js'] }],
        'web-lead': [{ key: 'shared', owns: ['src/shared/'] }],
      }),
    );
    const design = saveDesign(h.ledger, [
      { id: 'api', coders: 1 },
      { id: 'web', coders: 1 },
    ]);
    const missionId = h.engine.create({
      designId: design.id,
      goal: 'Build the thing',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: true,
      allowedCommands: ['node --test'],
      copyFiles: [],
      director: true,
    }).id;
    await h.engine.start(missionId);
    const harness = h;
    // The person sets this mission's phases on the director's draft: web starts after api.
    const draft = await waitFor(
      () => harness.engine.escalations(missionId, true).find((e) => e.type === 'mission_brief' && e.payload.status !== 'drafting'),
      20_000,
      "the director's draft",
    );
    await h.engine.decide({
      id: draft.id,
      decision: 'approve',
      comment: '',
      alwaysAllow: false,
      brief: { shares: { api: 'The shared config.', web: 'The pages, on the config.' }, after: { web: ['api'] }, interfaces: '' },
    });
    await waitFor(() => harness.engine.get(missionId).tasks.some((t) => t.key === 'shared'), 60_000, "the second phase's plan");

    expect(h.engine.get(missionId).tasks.map((t) => t.key)).toEqual(['config', 'shared']);
    expect(results(h, missionId, 'web-lead').filter((r) => r.isError)).toEqual([]);
  }, 90_000);
});

describe("a built-in coder's writes outside its task's paths", () => {
  /** Leader core-lead plans alpha (src/alpha.js) and beta (src/beta.js); the coder on alpha first tries `stray`, then does its task. */
  function provider(stray: readonly string[], leaderAnswer?: (prompt: string) => ScriptedTurn) {
    return planningProvider(
      {
        'core-lead': [
          { key: 'alpha', owns: ['src/alpha.js'] },
          { key: 'beta', owns: ['src/beta.js'] },
        ],
      },
      (request, info) => {
        if (leaderAnswer && info.tools.includes('allow_write')) return resultsSoFar(request.messages) > 0 ? [{ text: 'Done.' }] : [leaderAnswer(info.prompt)];
        if (!info.tools.includes('write_file') || !info.prompt.includes('Task: alpha')) return undefined;
        const steps: ScriptedTurn[] = [
          ...stray.map((path) => ({ tool: 'write_file', input: { path, content: `stray ${path}\n` } })),
          { tool: 'write_file', input: { path: 'src/alpha.js', content: "export const alpha = () => 'alpha';\n" } },
          { tool: 'submit_task', input: { summary: 'Added src/alpha.js.' } },
        ];
        const step = steps[resultsSoFar(request.messages)];
        return step ? [step] : [{ text: 'Submitted.' }];
      },
    );
  }

  it("is refused, naming the task that owns the path (or nobody), and the coder goes on", async () => {
    h = createHarness(provider(['src/beta.js', 'notes.md']));
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const missionId = launch(h, design.id, { skipPlanApproval: true });
    await h.engine.start(missionId);
    const decided = await driveToEnd(h, missionId);

    expect(h.engine.get(missionId).mission.state).toBe('done');
    const refused = results(h, missionId, 'core-c1').filter((r) => r.isError).map((r) => r.text);
    expect(refused).toEqual([
      expect.stringContaining('src/beta.js belongs to task \\"beta\\" (Make beta) of your team, not to your task. Your task owns only: src/alpha.js.'),
      expect.stringContaining("notes.md is not one of your task's paths and no task owns it."),
    ]);
    // Nothing was asked, and the refused writes never reached the repository.
    expect(decided.filter((e) => e.type === 'permission')).toEqual([]);
    expect(git(h.repo, 'show', 'main:src/alpha.js')).toContain("'alpha'");
    expect(git(h.repo, 'show', 'main:src/beta.js')).not.toContain('stray');
    expect(git(h.repo, 'ls-tree', '--name-only', 'main')).not.toContain('notes.md');
  }, 60_000);

  it("with the 'ask_leader' policy, is asked of the leader, and its answer allows or refuses the write", async () => {
    const answer = (prompt: string): ScriptedTurn =>
      prompt.includes('Asks to write: docs/alpha.md')
        ? { tool: 'allow_write', input: { comment: 'Yes, document it.' } }
        : { tool: 'refuse_write', input: { reason: 'Keep to your own files.' } };
    h = createHarness(provider(['docs/alpha.md', 'src/beta.js'], answer));
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const missionId = launch(h, design.id, { skipPlanApproval: true, ownership: 'ask_leader' });
    await h.engine.start(missionId);
    const decided = await driveToEnd(h, missionId);

    expect(h.engine.get(missionId).mission.state).toBe('done');
    // Both writes were questions to the leader, which it answered itself: none reached the person.
    expect(decided.filter((e) => e.type === 'permission')).toEqual([]);
    const asked = h.engine.escalations(missionId, false).filter((e) => e.type === 'permission');
    expect(asked.map((e) => [e.title, e.level, e.decidedBy, e.decision])).toEqual([
      ['core-c1 asks to write docs/alpha.md, outside its task\'s paths', 'leader', 'leader', 'approve'],
      ['core-c1 asks to write src/beta.js, outside its task\'s paths', 'leader', 'leader', 'deny'],
    ]);
    expect(asked[1]?.detail).toContain('it belongs to task "beta" (Make beta) of your team');
    // The allowed write ran and was merged; the refused one never happened, and the coder was told why.
    expect(git(h.repo, 'show', 'main:docs/alpha.md')).toBe('stray docs/alpha.md');
    expect(git(h.repo, 'show', 'main:src/beta.js')).not.toContain('stray');
    expect(results(h, missionId, 'core-c1').filter((r) => r.isError).map((r) => r.text)).toEqual([
      expect.stringContaining('Your leader did not allow writing src/beta.js. Their comment: Keep to your own files.'),
    ]);
  }, 60_000);

  it('is decided by the simulated leader too: a path nobody owns is allowed, another task\'s refused', async () => {
    h = createHarness(provider(['notes.md', 'src/beta.js']));
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const missionId = launch(h, design.id, { skipPlanApproval: true, ownership: 'ask_leader' });
    await h.engine.start(missionId);
    await driveToEnd(h, missionId);
    const asked = h.engine.escalations(missionId, false).filter((e) => e.type === 'permission');
    expect(asked.map((e) => [e.title, e.decidedBy, e.decision])).toEqual([
      ["core-c1 asks to write notes.md, outside its task's paths", 'leader', 'approve'],
      ["core-c1 asks to write src/beta.js, outside its task's paths", 'leader', 'deny'],
    ]);
    expect(git(h.repo, 'show', 'main:notes.md')).toBe('stray notes.md');
  }, 60_000);
});
