import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_BY_ROLE, MODELS } from '../../../src/shared/models.js';
import { teamDesignDraftSchema, type TeamDesign } from '../../../src/shared/team.js';
import {
  addAgent,
  addTeam,
  describeServerMessage,
  designToForm,
  emptyDesignForm,
  formToDraft,
  parseBudget,
  parseCommands,
  removeAgent,
  removeTeam,
  sameForm,
  updateAgent,
  type DesignForm,
} from './design-form.js';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

const names = (form: DesignForm) => form.teams.map((t) => t.agents.map((a) => a.name));

describe('design drafts', () => {
  it('starts a design with one team holding a leader on the leader model and a coder', () => {
    const form = emptyDesignForm(ids());
    expect(form.teams).toHaveLength(1);
    expect(form.teams[0]!.name).toBe('Team 1');
    expect(form.teams[0]!.agents.map((a) => [a.name, a.role, a.model])).toEqual([
      ['Lead 1', 'leader', DEFAULT_MODEL_BY_ROLE.leader],
      ['Coder 1-1', 'coder', DEFAULT_MODEL_BY_ROLE.coder],
    ]);
  });

  it('names new agents uniquely across the whole design', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    const t1 = form.teams[0]!.id;
    form = addAgent(form, t1, 'coder', newId);
    form = addTeam(form, newId);
    const t2 = form.teams[1]!.id;
    form = addAgent(form, t2, 'coder', newId);
    expect(names(form)).toEqual([
      ['Lead 1', 'Coder 1-1', 'Coder 1-2'],
      ['Lead 2', 'Coder 2-1', 'Coder 2-2'],
    ]);
    // A person took "Lead 2" for team 1's coder: team 2's next leader must not clash.
    form = updateAgent(form, t1, form.teams[0]!.agents[1]!.id, { name: 'lead 3' });
    form = removeAgent(form, t2, form.teams[1]!.agents[0]!.id);
    form = addAgent(form, t2, 'leader', newId);
    expect(form.teams[1]!.agents[0]!.name).toBe('Lead 2');
    form = removeAgent(form, t2, form.teams[1]!.agents[0]!.id);
    form = updateAgent(form, t1, form.teams[0]!.agents[2]!.id, { name: 'LEAD 2' });
    form = addAgent(form, t2, 'leader', newId);
    expect(form.teams[1]!.agents[0]!.name).toBe('Lead 4');
  });

  it('puts a new leader first and gives every team and agent a fresh id', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    const team = form.teams[0]!;
    form = removeAgent(form, team.id, team.agents[0]!.id);
    form = addAgent(form, team.id, 'leader', newId);
    expect(form.teams[0]!.agents[0]!.role).toBe('leader');
    const all = [form.teams[0]!.id, ...form.teams[0]!.agents.map((a) => a.id)];
    expect(new Set(all).size).toBe(all.length);
  });

  it('moves a default model along when the role changes, but keeps a hand-picked one', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    const team = form.teams[0]!;
    const coder = team.agents[1]!;
    form = updateAgent(form, team.id, coder.id, { role: 'researcher' });
    expect(form.teams[0]!.agents[1]!.model).toBe(DEFAULT_MODEL_BY_ROLE.researcher);
    // Any known model that is not the researcher's or the coder's default counts as hand-picked.
    const picked = MODELS.map((m) => m.id as string).find(
      (id) => id !== DEFAULT_MODEL_BY_ROLE.researcher && id !== DEFAULT_MODEL_BY_ROLE.coder,
    )!;
    form = updateAgent(form, team.id, coder.id, { model: picked });
    form = updateAgent(form, team.id, coder.id, { role: 'coder' });
    expect(form.teams[0]!.agents[1]!.model).toBe(picked);
  });

  it('parses budgets written the way people write dollars', () => {
    expect(parseBudget('')).toBeNull();
    expect(parseBudget('  ')).toBeNull();
    expect(parseBudget('25')).toBe(25_000_000_000);
    expect(parseBudget('$12.50')).toBe(12_500_000_000);
    expect(parseBudget('0.1')).toBe(100_000_000);
    expect(parseBudget('.5')).toBe(500_000_000);
    expect(parseBudget('1,000')).toBe(1_000_000_000_000);
    expect(parseBudget('-5')).toBe(-5_000_000_000);
    expect(parseBudget('ten')).toBeUndefined();
    expect(parseBudget('1e3')).toBeUndefined();
  });

  it('splits allowed commands on commas and new lines', () => {
    expect(parseCommands('npm test, git status\n\n  git diff  ,')).toEqual([
      'npm test',
      'git status',
      'git diff',
    ]);
  });

  it('builds a draft the shared schema accepts, with budgets in nano-dollars', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    form = { ...form, name: 'Squad' };
    const team = form.teams[0]!;
    form = updateAgent(form, team.id, team.agents[0]!.id, {
      budgetUsd: '12.5',
      allowedCommands: 'npm test\ngit status',
    });
    const built = formToDraft(form, { id: 'design-1', expectedRevision: 3 });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.draft.id).toBe('design-1');
    expect(built.draft.expectedRevision).toBe(3);
    expect(built.draft.teams[0]!.agents[0]!.budgetNanoUsd).toBe(12_500_000_000);
    expect(built.draft.teams[0]!.agents[0]!.permissions.allowedCommands).toEqual(['npm test', 'git status']);
    expect(teamDesignDraftSchema.safeParse(built.draft).success).toBe(true);
  });

  it('omits id and expectedRevision for a new design', () => {
    const built = formToDraft({ ...emptyDesignForm(ids()), name: 'New' });
    expect(built.ok && 'id' in built.draft).toBe(false);
    expect(built.ok && 'expectedRevision' in built.draft).toBe(false);
  });

  it('refuses a budget that is not a number, naming the agent', () => {
    const form = emptyDesignForm(ids());
    const team = form.teams[0]!;
    const built = formToDraft(updateAgent(form, team.id, team.agents[1]!.id, { budgetUsd: 'lots' }));
    expect(built).toEqual({
      ok: false,
      message: expect.stringContaining('Agent "Coder 1-1": budget "lots"') as unknown,
    });
  });

  it('round-trips a stored design through the form without changes', () => {
    const design: TeamDesign = {
      id: 'd1',
      revision: 2,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-02T00:00:00.000Z',
      name: 'Squad',
      description: 'x',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 't1',
          name: 'Alpha',
          budgetNanoUsd: 100_000_000,
          position: { x: 1, y: 2 },
          agents: [
            {
              id: 'a1',
              name: 'Lead',
              role: 'leader',
              model: DEFAULT_MODEL_BY_ROLE.leader,
              budgetNanoUsd: null,
              systemPrompt: 'lead',
              permissions: { allowedCommands: ['npm test'], writeScope: ['src/**'] },
              idleTimeoutSec: 600,
            },
          ],
        },
      ],
    };
    const form = designToForm(design);
    expect(form.teams[0]!.budgetUsd).toBe('0.1');
    const built = formToDraft(form, { id: design.id });
    expect(built.ok && built.draft.teams).toEqual(design.teams);
    expect(sameForm(form, designToForm(design))).toBe(true);
    expect(sameForm(form, removeTeam(form, 't1'))).toBe(false);
  });

  it('rewrites engine field paths in the words of the form', () => {
    const newId = ids();
    const form = addTeam({ ...emptyDesignForm(newId) }, newId);
    const message = describeServerMessage(
      'teams:save: request.design.teams.1.agents.0.name: duplicate agent name "Lead 1"; request.design.teams.0.budgetNanoUsd: must not be negative',
      form,
    );
    expect(message).toBe(
      'Team “Team 2” › agent “Lead 2” › name: duplicate agent name "Lead 1"; Team “Team 1” › budget: must not be negative',
    );
    expect(describeServerMessage('request.design.teams.9.name: x', form)).toBe(
      'request.design.teams.9.name: x',
    );
  });
});
