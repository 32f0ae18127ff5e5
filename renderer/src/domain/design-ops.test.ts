import { describe, expect, it } from 'vitest';
import { checkDesign } from '../../../src/shared/design-rules.js';
import { DEFAULT_MODEL_BY_ROLE } from '../../../src/shared/models.js';
import {
  addAgent,
  addTeam,
  boardOrder,
  emptyDesignForm,
  formToDraft,
  slotPosition,
  type DesignForm,
} from './design-form.js';
import {
  addAgentAt,
  applyFix,
  duplicateTeam,
  moveAgent,
  moveTeam,
  placementProblem,
  splitTeam,
} from './design-ops.js';
import { DESIGN_TEMPLATES, designFromTemplate, findTemplate } from './team-templates.js';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

const names = (form: DesignForm) => boardOrder(form).map((t) => [t.name, ...t.agents.map((a) => a.name)]);

function twoTeams() {
  const newId = ids();
  let form = addTeam(emptyDesignForm(newId), newId);
  form = addAgent(form, form.teams[0]!.id, 'coder', newId);
  return { form, newId };
}

describe('templates', () => {
  it('lays out 4 × 4 × 4 as four teams of a leader and four coders', () => {
    const form = designFromTemplate(findTemplate('four-by-four')!, ids());
    expect(form.teams).toHaveLength(4);
    expect(form.teams.map((t) => t.agents.map((a) => a.role).join(','))).toEqual(
      Array(4).fill('leader,coder,coder,coder,coder'),
    );
    expect(names(form)[3]).toEqual([
      'Interfaces',
      'Lead 4',
      'Coder 4-1',
      'Coder 4-2',
      'Coder 4-3',
      'Coder 4-4',
    ]);
    expect(form.teams.map((t) => t.position)).toEqual([0, 1, 2, 3].map(slotPosition));
  });

  it('gives every template a valid design that passes the checks', () => {
    for (const template of DESIGN_TEMPLATES) {
      const form = designFromTemplate(template, ids());
      expect(formToDraft(form).ok).toBe(true);
      expect(checkDesign(form)).toEqual([]);
    }
    const solo = designFromTemplate(findTemplate('solo')!, ids());
    expect(names(solo)).toEqual([['Team 1', 'Lead 1', 'Coder 1-1', 'Coder 1-2']]);
    expect(
      designFromTemplate(findTemplate('three-by-five')!, ids()).teams.map((t) => t.agents.length),
    ).toEqual([5, 5, 5]);
  });
});

describe('moving agents', () => {
  it('moves a coder to another team, at an index or at the end', () => {
    const { form } = twoTeams();
    const [a, b] = form.teams;
    const moved = moveAgent(form, a!.agents[2]!.id, b!.id);
    expect(names(moved)).toEqual([
      ['Team 1', 'Lead 1', 'Coder 1-1'],
      ['Team 2', 'Lead 2', 'Coder 2-1', 'Coder 1-2'],
    ]);
    const first = moveAgent(form, a!.agents[2]!.id, b!.id, 1);
    expect(names(first)[1]).toEqual(['Team 2', 'Lead 2', 'Coder 1-2', 'Coder 2-1']);
  });

  it('reorders within a team like arrayMove, keeping the leader first', () => {
    const { form } = twoTeams();
    const team = form.teams[0]!;
    const up = moveAgent(form, team.agents[2]!.id, team.id, 1);
    expect(names(up)[0]).toEqual(['Team 1', 'Lead 1', 'Coder 1-2', 'Coder 1-1']);
    const aboveLeader = moveAgent(form, team.agents[1]!.id, team.id, 0);
    expect(names(aboveLeader)[0]).toEqual(['Team 1', 'Lead 1', 'Coder 1-1', 'Coder 1-2']);
  });

  it('refuses a second leader and returns the very same form', () => {
    const { form } = twoTeams();
    const [a, b] = form.teams;
    expect(moveAgent(form, a!.agents[0]!.id, b!.id)).toBe(form);
    expect(placementProblem(form, 'leader', b!.id)).toBe('“Team 2” already has a leader; a team has one.');
    expect(placementProblem(form, 'coder', b!.id)).toBeNull();
    expect(addAgentAt(form, b!.id, 'leader', ids())).toBe(form);
  });

  it('a no-op move returns the same form (no undo step)', () => {
    const { form } = twoTeams();
    const team = form.teams[0]!;
    expect(moveAgent(form, team.agents[1]!.id, team.id, 1)).toBe(form);
  });

  it('adds a palette role at a position', () => {
    const { form, newId } = twoTeams();
    const b = form.teams[1]!;
    const next = addAgentAt(form, b.id, 'reviewer', newId, 1);
    expect(names(next)[1]).toEqual(['Team 2', 'Lead 2', 'Reviewer 2-1', 'Coder 2-1']);
  });
});

describe('teams', () => {
  it('reorders teams and rewrites their positions', () => {
    const { form, newId } = twoTeams();
    const three = addTeam(form, newId);
    const moved = moveTeam(three, three.teams[2]!.id, 0);
    expect(names(moved).map((t) => t[0])).toEqual(['Team 3', 'Team 1', 'Team 2']);
    expect(boardOrder(moved).map((t) => t.position)).toEqual([0, 1, 2].map(slotPosition));
  });

  it('duplicates a team right after it with fresh ids and unique names', () => {
    const start = twoTeams();
    const newId = start.newId;
    let form = start.form;
    form = {
      ...form,
      teams: form.teams.map((t, i) => (i === 0 ? { ...t, name: 'Checkout', budgetUsd: '50' } : t)),
    };
    form = {
      ...form,
      teams: form.teams.map((t, i) =>
        i === 0
          ? {
              ...t,
              agents: t.agents.map((a, j) => (j === 0 ? { ...a, name: 'Checkout lead', budgetUsd: '5' } : a)),
            }
          : t,
      ),
    };
    const next = duplicateTeam(form, form.teams[0]!.id, newId);
    expect(names(next)).toEqual([
      ['Checkout', 'Checkout lead', 'Coder 1-1', 'Coder 1-2'],
      ['Checkout 2', 'Checkout lead (copy)', 'Coder 2-2', 'Coder 2-3'],
      ['Team 2', 'Lead 2', 'Coder 2-1'],
    ]);
    const copy = boardOrder(next)[1]!;
    expect(copy.budgetUsd).toBe('50');
    expect(copy.agents[0]!.budgetUsd).toBe('5');
    const allIds = next.teams.flatMap((t) => [t.id, ...t.agents.map((a) => a.id)]);
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(formToDraft(next).ok).toBe(true);
  });

  it('splits a team of six into a team of four and a new team of three with its own leader', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    const id = form.teams[0]!.id;
    for (let i = 0; i < 4; i += 1) form = addAgent(form, id, 'coder', newId);
    form = {
      ...form,
      teams: form.teams.map((t) => ({
        ...t,
        brief: { focus: 'Payments', owns: 'src/payments/' },
        agents: t.agents.map((a) => (a.role === 'leader' ? { ...a, model: 'claude-opus-4-7' } : a)),
      })),
    };
    expect(checkDesign(form).map((i) => i.rule)).toEqual(['team-too-large']);
    const split = splitTeam(form, id, newId);
    expect(names(split)).toEqual([
      ['Team 1', 'Lead 1', 'Coder 1-1', 'Coder 1-2', 'Coder 1-3'],
      ['Team 2', 'Lead 2', 'Coder 1-4', 'Coder 1-5'],
    ]);
    expect(boardOrder(split)[1]!.agents[0]!.model).toBe('claude-opus-4-7');
    // The new half shares the focus but not the paths, so the two do not collide.
    expect(boardOrder(split).map((t) => t.brief)).toEqual([
      { focus: 'Payments', owns: 'src/payments/' },
      { focus: 'Payments', owns: '' },
    ]);
    expect(checkDesign(split)).toEqual([]);
    expect(applyFix(form, { kind: 'split-team', teamId: id }, ids())).toEqual(splitTeam(form, id, ids()));
  });

  it('applies the add-leader and set-model fixes', () => {
    const newId = ids();
    let form = emptyDesignForm(newId);
    const team = form.teams[0]!;
    form = { ...form, teams: [{ ...team, agents: team.agents.filter((a) => a.role !== 'leader') }] };
    expect(checkDesign(form)[0]!.rule).toBe('missing-leader');
    const led = applyFix(form, checkDesign(form)[0]!.fix!.fix, newId);
    expect(led.teams[0]!.agents[0]!.role).toBe('leader');
    const coder = led.teams[0]!.agents[1]!;
    const opus = {
      ...led,
      teams: [
        { ...led.teams[0]!, agents: [led.teams[0]!.agents[0]!, { ...coder, model: 'claude-opus-4-8' }] },
      ],
    };
    const issue = checkDesign(opus)[0]!;
    expect(issue.rule).toBe('model-mismatch');
    expect(applyFix(opus, issue.fix!.fix, newId).teams[0]!.agents[1]!.model).toBe(
      DEFAULT_MODEL_BY_ROLE.coder,
    );
  });
});
