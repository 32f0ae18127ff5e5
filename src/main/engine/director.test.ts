import { afterEach, describe, expect, it } from 'vitest';
import { briefPayload, type MissionBrief } from '../../shared/mission-brief.js';
import type { EscalationView } from '../../shared/mission.js';
import type { AgentSpec, TeamDesign } from '../../shared/team.js';
import { TeamRepository } from '../ledger/team-repository.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi, type FakeReply } from '../llm/testing/fake-messages-api.js';
import { scriptedTeamResponder } from './testing/claude-code-fake-team.js';
import { createHarness, waitFor, type Harness } from './testing/harness.js';

let h: Harness | undefined;
let fake: FakeMessagesApi | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
  await fake?.close();
  fake = undefined;
});

const sim = () => new SimulatedProvider({ seed: 7, latencyScale: 0, questionRate: 0, commandRate: 0, rejectRate: 0 });

const agent = (id: string, role: AgentSpec['role']): AgentSpec => ({
  id,
  name: id,
  role,
  model: role === 'leader' ? 'claude-sonnet-4-6' : 'claude-haiku-4-5',
  budgetNanoUsd: null,
  systemPrompt: '',
  permissions: { allowedCommands: [], writeScope: [] },
  idleTimeoutSec: null,
});

/** Two teams with briefs; `api` starts after `infra`. */
function saveBriefedDesign(harness: Harness): TeamDesign {
  const team = (id: string, focus: string, owns: string[], after: string[], x: number) => ({
    id,
    name: id === 'infra' ? 'Infrastructure' : 'API',
    budgetNanoUsd: null,
    position: { x, y: 0 },
    agents: [agent(`${id}-lead`, 'leader'), agent(`${id}-c1`, 'coder')],
    brief: { focus, owns },
    after,
  });
  const saved = new TeamRepository(harness.ledger.db).save({
    name: 'Briefed design',
    description: '',
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    teams: [
      team('infra', 'Storage layer: the todo store and its persistence', ['src/store'], [], 0),
      team('api', 'HTTP routes over the store', ['src/routes'], ['infra'], 200),
    ],
  });
  return {
    ...saved,
    teams: saved.teams.map((t) =>
      t.id === 'infra'
        ? { ...t, brief: { focus: 'Storage layer: the todo store and its persistence', owns: ['src/store'] }, after: [] }
        : { ...t, brief: { focus: 'HTTP routes over the store', owns: ['src/routes'] }, after: ['infra'] },
    ),
  };
}

function launch(harness: Harness): string {
  const design = saveBriefedDesign(harness);
  const id = harness.engine.create({
    designId: design.id,
    goal: 'Build a todo service',
    repoPath: harness.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: ['git status --short'],
    copyFiles: [],
    director: true,
  }).id;
  // The engine reads the mission's snapshot of the design. Until the design repository keeps
  // team briefs and phases, the snapshot gets them here, as a saved design will carry them.
  const saved = harness.ledger.db.prepare('SELECT design_json FROM missions WHERE id = ?').pluck().get(id) as string;
  const snapshot = JSON.parse(saved) as TeamDesign;
  for (const t of snapshot.teams) {
    const mine = design.teams.find((d) => d.id === t.id);
    if (!t.brief && mine?.brief) t.brief = mine.brief;
    if (!t.after && mine?.after) t.after = mine.after;
  }
  harness.ledger.db.prepare('UPDATE missions SET design_json = ? WHERE id = ?').run(JSON.stringify(snapshot), id);
  harness.ledger.db.prepare('UPDATE mission_teams SET after_json = ? WHERE mission_id = ? AND id = ?').run('["infra"]', id, 'api');
  return id;
}

const briefs = (harness: Harness, id: string): EscalationView[] => harness.engine.escalations(id).filter((e) => e.type === 'mission_brief');
const openBrief = (harness: Harness, id: string) => briefs(harness, id).find((e) => e.state === 'open');
const readyBrief = (harness: Harness, id: string, status: 'ready' | 'failed' = 'ready') =>
  waitFor(() => {
    const e = openBrief(harness, id);
    return e && briefPayload(e.payload)?.status === status ? e : undefined;
  }, 15_000, `a ${status} director's draft`);

const directorCalls = (harness: Harness, id: string) =>
  harness.ledger.db
    .prepare(`SELECT role, team_id, status, input_tokens, output_tokens, cost_total_nano FROM calls WHERE mission_id = ? AND agent_id = 'director' ORDER BY id`)
    .all(id) as { role: string; team_id: string | null; status: string; input_tokens: number; output_tokens: number; cost_total_nano: number }[];

const notes = (harness: Harness, id: string) =>
  (harness.ledger.db.prepare(`SELECT kind, to_state, detail_json FROM mission_log WHERE mission_id = ? ORDER BY id`).all(id) as { kind: string; to_state: string | null; detail_json: string }[]).map(
    (r) => ({ kind: r.kind, toState: r.to_state, detail: JSON.parse(r.detail_json) as Record<string, unknown> }),
  );

/** The first user message of each of the agent's conversations. */
function prompts(harness: Harness, missionId: string, agentId: string): string[] {
  return harness.engine
    .transcript(missionId, agentId)
    .filter((e) => e.seq === 0 && e.role === 'user')
    .map((e) => (typeof e.content === 'string' ? e.content : JSON.stringify(e.content)));
}

describe('the director', () => {
  it('drafts before any leader plans, is billed, is sent back once with a comment, and the edited draft is what the leaders plan from', async () => {
    h = createHarness(sim());
    const id = launch(h);
    expect(briefPayload(openBrief(h, id)?.payload ?? {})?.status).toBe('drafting');
    await h.engine.start(id);

    const first = await readyBrief(h, id);
    const draft1 = briefPayload(first.payload)?.draft as MissionBrief;
    // Shares from the briefs and the goal; phases from the design; interfaces name the earlier team's paths.
    expect(draft1.shares.infra).toContain('Storage layer');
    expect(draft1.shares.infra).toContain('Build a todo service');
    expect(draft1.after).toEqual({ infra: [], api: ['infra'] });
    expect(draft1.interfaces).toContain('src/store');
    // Nobody planned while the draft waits for the person.
    expect(h.engine.tasks(id)).toEqual([]);
    expect(prompts(h, id, 'infra-lead')).toEqual([]);
    // Billed: one calls row of the mission, the director's, with tokens and a cost.
    const billed = directorCalls(h, id);
    expect(billed).toHaveLength(1);
    expect(billed[0]).toMatchObject({ role: 'director', team_id: null, status: 'ok' });
    expect(billed[0]?.input_tokens).toBeGreaterThan(0);
    expect(billed[0]?.cost_total_nano).toBeGreaterThan(0);
    expect(h.engine.get(id).mission.spentNanoUsd).toBe(billed[0]?.cost_total_nano);
    // Recorded: the mission log has the draft ready.
    expect(notes(h, id)).toContainEqual(expect.objectContaining({ kind: 'escalation', toState: 'ready' }));

    // Sent back with a comment: the director drafts again, the comment in its prompt.
    await h.engine.decide({ id: first.id, decision: 'reply', comment: 'Keep the API to two endpoints', alwaysAllow: false });
    const second = await readyBrief(h, id);
    expect(second.id).not.toBe(first.id);
    expect(briefPayload(second.payload)).toMatchObject({ round: 2, comment: 'Keep the API to two endpoints' });
    const directorPrompts = prompts(h, id, 'director');
    expect(directorPrompts).toHaveLength(2);
    expect(directorPrompts[0]).not.toContain('Keep the API to two endpoints');
    expect(directorPrompts[1]).toContain('Keep the API to two endpoints');
    expect(briefPayload(second.payload)?.draft?.interfaces).toContain('Keep the API to two endpoints');
    expect(directorCalls(h, id)).toHaveLength(2);
    expect(h.engine.tasks(id)).toEqual([]);

    // Approved with the person's edits: the leaders plan from them.
    const draft2 = briefPayload(second.payload)?.draft as MissionBrief;
    const edited: MissionBrief = { ...draft2, shares: { ...draft2.shares, infra: 'EDITED: an in-memory store in src/store only' } };
    const decided = await h.engine.decide({ id: second.id, decision: 'approve', comment: '', alwaysAllow: false, brief: edited });
    expect(decided).toMatchObject({ state: 'resolved', decision: 'approve' });
    expect(decided.payload.approved).toEqual(edited);
    const infraPlan = await waitFor(() => prompts(h!, id, 'infra-lead')[0], 15_000, 'the infra leader planning');
    expect(infraPlan).toContain('EDITED: an in-memory store in src/store only');
    const share = h.ledger.db.prepare(`SELECT share FROM mission_teams WHERE mission_id = ? AND id = 'infra'`).pluck().get(id) as string;
    expect(share).toContain('EDITED: an in-memory store in src/store only');
    // api starts after infra, as approved: its leader has not planned.
    expect(prompts(h, id, 'api-lead')).toEqual([]);
  }, 60_000);

  it('refuses an approval whose brief names an unknown team or has phases in a circle, and keeps the draft open', async () => {
    h = createHarness(sim());
    const id = launch(h);
    await h.engine.start(id);
    const e = await readyBrief(h, id);
    const draft = briefPayload(e.payload)?.draft as MissionBrief;
    await expect(h.engine.decide({ id: e.id, decision: 'approve', comment: '', alwaysAllow: false, brief: { ...draft, shares: { ...draft.shares, ghost: 'x' } } })).rejects.toThrow(
      /unknown team "ghost"/,
    );
    await expect(
      h.engine.decide({ id: e.id, decision: 'approve', comment: '', alwaysAllow: false, brief: { ...draft, after: { infra: ['api'], api: ['infra'] } } }),
    ).rejects.toThrow(/circle/);
    expect(openBrief(h, id)?.id).toBe(e.id);
    expect(h.engine.tasks(id)).toEqual([]);
  }, 30_000);

  it('through the real SDK: a malformed reply is a one-line error in the log and retried; after the retries the person gets the briefs to edit', async () => {
    const team = scriptedTeamResponder({ command: 'git status --short' });
    const directorReplies: FakeReply[] = [
      { content: [{ type: 'tool_use', name: 'submit_mission_brief', rawInput: '{"teams": [{"team": "infra"' }] },
      { content: [{ type: 'tool_use', name: 'submit_mission_brief', input: { teams: [{ team: 'ghost', share: 'x', after: [] }], interfaces: '' } }] },
      {
        content: [
          {
            type: 'tool_use',
            name: 'submit_mission_brief',
            input: {
              teams: [
                { team: 'infra', share: 'The store, from the fake', after: [] },
                { team: 'api', share: 'The routes, from the fake', after: ['infra'] },
              ],
              interfaces: 'infra exports createStore() from src/store/index.js',
            },
          },
        ],
      },
      { content: [{ type: 'text', text: 'I would rather not use the tool.' }] },
      { content: [{ type: 'text', text: 'Still no tool.' }] },
      { content: [{ type: 'text', text: 'No.' }] },
    ];
    const seen: string[] = [];
    fake = await startFakeMessagesApi({
      responder: (request) => {
        if ((request.body.tools ?? []).some((t) => t.name === 'submit_mission_brief')) {
          seen.push(request.body.model);
          return directorReplies.shift() ?? { content: [{ type: 'text', text: 'out of script' }] };
        }
        return team(request);
      },
    });
    h = createHarness(new AnthropicProvider({ apiKey: DEFAULT_FAKE_API_KEY, baseURL: fake.url }));
    const id = launch(h);
    await h.engine.start(id);

    const e = await readyBrief(h, id);
    expect(briefPayload(e.payload)?.draft?.shares.infra).toBe('The store, from the fake');
    const malformed = notes(h, id).filter((n) => n.detail.director === 'malformed');
    expect(malformed.map((n) => n.detail.error)).toEqual([
      expect.stringMatching(/^the director's submit_mission_brief input is not valid JSON/),
      expect.stringMatching(/^the director's draft cannot run: unknown team "ghost"/),
    ]);
    for (const n of malformed) expect(String(n.detail.error)).not.toContain('\n');
    expect(directorCalls(h, id)).toHaveLength(3);
    // The design names no director model: the default (Opus) drafts.
    expect(seen).toEqual(['claude-opus-4-8', 'claude-opus-4-8', 'claude-opus-4-8']);
    expect(h.errors).toEqual([]);

    // Sent back: three replies without the tool. The person gets the briefs' shares and the error.
    await h.engine.decide({ id: e.id, decision: 'reply', comment: 'Try again', alwaysAllow: false });
    const failed = await readyBrief(h, id, 'failed');
    const payload = briefPayload(failed.payload);
    expect(payload?.error).toBe('the director answered without calling submit_mission_brief');
    expect(payload?.draft?.shares).toEqual({ infra: 'Storage layer: the todo store and its persistence', api: 'HTTP routes over the store' });
    expect(directorCalls(h, id)).toHaveLength(6);
    expect(h.engine.tasks(id)).toEqual([]);

    // The person approves the defaults; the first phase's leader plans from them, through the SDK.
    await h.engine.decide({ id: failed.id, decision: 'approve', comment: '', alwaysAllow: false });
    const plan = await waitFor(() => prompts(h!, id, 'infra-lead')[0], 15_000, 'the infra leader planning');
    expect(plan).toContain('Storage layer: the todo store and its persistence');
  }, 60_000);
});
