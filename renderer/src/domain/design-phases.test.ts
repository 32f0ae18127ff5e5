import { describe, expect, it } from 'vitest';
import { checkDesign } from '../../../src/shared/design-rules.js';
import { teamDesignDraftSchema, type TeamDesign } from '../../../src/shared/team.js';
import {
  addTeam,
  boardOrder,
  describeServerMessage,
  designToForm,
  emptyDesignForm,
  formToDraft,
  removeTeam,
  sameForm,
  updateTeam,
  type DesignForm,
} from './design-form.js';
import { applyFix, duplicateTeam } from './design-ops.js';
import { afterProblem, phaseGroups, phaseLabel, setAfter, toggledAfter } from './design-phases.js';
import { DESIGN_TEMPLATES, designFromTemplate, findTemplate } from './team-templates.js';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

/** Four teams named Infra, Workers, Ops, UI, in that board order, none waiting yet. */
function fourTeams(): DesignForm {
  const newId = ids();
  let form: DesignForm = { ...emptyDesignForm(newId), name: 'Platform' };
  for (let i = 0; i < 3; i += 1) form = addTeam(form, newId);
  ['Infra', 'Workers', 'Ops', 'UI'].forEach((name, i) => {
    form = updateTeam(form, form.teams[i]!.id, { name });
  });
  return form;
}

/** What the engine stores for this form: the draft through the design schema. */
function saved(form: DesignForm): TeamDesign {
  const built = formToDraft(form, { id: 'd1' });
  if (!built.ok) throw new Error(built.message);
  return { ...teamDesignDraftSchema.parse(built.draft), id: 'd1', revision: 1, createdAt: '', updatedAt: '' };
}

const idOf = (form: DesignForm, name: string) => form.teams.find((t) => t.name === name)!.id;
const teamOf = (form: DesignForm, name: string) => form.teams.find((t) => t.name === name)!;
const after = (form: DesignForm, team: string, ...names: string[]) =>
  setAfter(
    form,
    idOf(form, team),
    names.map((n) => idOf(form, n)),
  );

describe('phases in the designer', () => {
  it('labels each team with its phase and the teams it waits for', () => {
    let form = fourTeams();
    form = after(form, 'Workers', 'Infra');
    form = after(form, 'Ops', 'Infra');
    form = after(form, 'UI', 'Ops', 'Workers');
    const labels = boardOrder(form).map((t) => phaseLabel(form, t));
    // Workers moved behind UI when it first waited; Ops kept its earlier slot.
    expect(boardOrder(form).map((t) => t.name)).toEqual(['Infra', 'Ops', 'Workers', 'UI']);
    expect(labels).toEqual([
      'Phase 1 · starts at once',
      'Phase 2 · after Infra',
      'Phase 2 · after Infra',
      // Board order, whatever order they were picked in.
      'Phase 3 · after Ops, Workers',
    ]);
    expect(phaseGroups(form).map((g) => [g.phase, g.teams.map((t) => t.name)])).toEqual([
      [1, ['Infra']],
      [2, ['Ops', 'Workers']],
      [3, ['UI']],
    ]);
  });

  it('moves a team that now waits behind the teams it waits for on the board', () => {
    let form = fourTeams();
    form = after(form, 'Infra', 'UI');
    expect(boardOrder(form).map((t) => t.name)).toEqual(['Workers', 'Ops', 'UI', 'Infra']);
    // Slots are rewritten, so the order survives a save and a reload.
    const reloaded = designToForm(saved(form));
    expect(boardOrder(reloaded).map((t) => t.name)).toEqual(['Workers', 'Ops', 'UI', 'Infra']);
  });

  it('refuses a circle with the schema’s message and leaves the form as it was', () => {
    let form = fourTeams();
    form = after(form, 'Workers', 'Infra');
    form = after(form, 'UI', 'Workers');
    const back = toggledAfter(form, idOf(form, 'Infra'), idOf(form, 'UI'), true);
    expect(afterProblem(form, idOf(form, 'Infra'), back)).toBe(
      'teams wait on each other in a circle ("Infra" → "UI" → "Workers" → "Infra"), so none of them could start; remove one of these "starts after" links',
    );
    expect(setAfter(form, idOf(form, 'Infra'), back)).toBe(form);
    expect(afterProblem(form, idOf(form, 'Infra'), [idOf(form, 'Infra')])).toBe(
      'team "Infra" cannot start after itself',
    );
    // Nothing refused ever reaches the draft: the engine's schema takes what the form sends.
    const built = formToDraft(form);
    expect(built.ok && teamDesignDraftSchema.safeParse(built.draft).success).toBe(true);
  });

  it('starts at once when the waits are taken away, and forgets a removed team', () => {
    let form = fourTeams();
    form = after(form, 'UI', 'Infra', 'Workers');
    form = removeTeam(form, idOf(form, 'Workers'));
    expect(teamOf(form, 'UI').after).toEqual([idOf(form, 'Infra')]);
    form = setAfter(form, idOf(form, 'UI'), []);
    expect(phaseLabel(form, teamOf(form, 'UI'))).toBe('Phase 1 · starts at once');
  });

  it('keeps the phase and brief of a duplicated team', () => {
    let form = after(fourTeams(), 'Workers', 'Infra');
    form = updateTeam(form, idOf(form, 'Workers'), { brief: { focus: 'Jobs', owns: 'jobs/' } });
    const copy = duplicateTeam(form, idOf(form, 'Workers'), () => 'copy');
    expect(teamOf(copy, 'Workers 2')).toMatchObject({
      after: [idOf(form, 'Infra')],
      brief: { focus: 'Jobs' },
    });
    // Same phase, same path: the rules say so, and their fix puts the copy after the original.
    const [issue] = checkDesign(copy).filter((i) => i.rule === 'owned-paths-overlap');
    expect(issue?.title).toBe('“Workers” and “Workers 2” both own jobs/');
    const fixed = applyFix(copy, issue!.fix!.fix, ids());
    expect(phaseLabel(fixed, teamOf(fixed, 'Workers 2'))).toBe('Phase 3 · after Infra, Workers');
    expect(checkDesign(fixed).filter((i) => i.rule === 'owned-paths-overlap')).toEqual([]);
  });
});

describe('briefs, phases and the director through a save', () => {
  it('sends briefs, phases and the director model, and reads them back unchanged', () => {
    let form = after(fourTeams(), 'Workers', 'Infra');
    form = updateTeam(form, idOf(form, 'Infra'), {
      brief: { focus: '  Infrastructure: schema, config  ', owns: 'db/\n\n config/ \n' },
    });
    form = { ...form, directorModel: 'claude-sonnet-4-5' };
    const built = formToDraft(form, { id: 'd1' });
    if (!built.ok) throw new Error(built.message);
    const infra = built.draft.teams.find((t) => t.name === 'Infra')!;
    expect(infra.brief).toEqual({ focus: 'Infrastructure: schema, config', owns: ['db/', 'config/'] });
    expect(built.draft.teams.find((t) => t.name === 'Workers')!.after).toEqual([idOf(form, 'Infra')]);
    // Teams without a brief or phase are written as before briefs existed.
    const ops = built.draft.teams.find((t) => t.name === 'Ops')!;
    expect('brief' in ops || 'after' in ops).toBe(false);
    expect(built.draft.director).toEqual({ model: 'claude-sonnet-4-5' });

    const design = saved(form);
    const reread = designToForm(design);
    expect(teamOf(reread, 'Infra').brief).toEqual({
      focus: 'Infrastructure: schema, config',
      owns: 'db/\nconfig/',
    });
    expect(reread.directorModel).toBe('claude-sonnet-4-5');
    expect(sameForm(designToForm(design), reread)).toBe(true);
    const again = formToDraft(reread, { id: 'd1' });
    expect(again.ok && again.draft).toEqual(built.draft);
  });

  it('leaves the director out when the design names none, so the default applies', () => {
    const built = formToDraft(fourTeams());
    expect(built.ok && 'director' in built.draft).toBe(false);
  });

  it('names the brief, owned path and phase fields in the words of the form', () => {
    const form = fourTeams();
    expect(
      describeServerMessage(
        'teams:save: design.teams.1.brief.owns.2: must be a path inside the repository, not "/etc"; design.teams.0.after: team "Infra" cannot start after itself; design.director.model: unknown model "x"',
        form,
      ),
    ).toBe(
      'Team “Workers” › owned path 3: must be a path inside the repository, not "/etc"; Team “Infra” › starts after: team "Infra" cannot start after itself; Director model: unknown model "x"',
    );
  });
});

describe('templates', () => {
  it('ships 4 × 4 × 4 in three phases: infrastructure, then workers and operations, then interfaces', () => {
    const form = designFromTemplate(findTemplate('four-by-four')!, ids());
    expect(boardOrder(form).map((t) => [t.name, phaseLabel(form, t)])).toEqual([
      ['Infrastructure', 'Phase 1 · starts at once'],
      ['Workers', 'Phase 2 · after Infrastructure'],
      ['Operations', 'Phase 2 · after Infrastructure'],
      ['Interfaces', 'Phase 3 · after Workers, Operations'],
    ]);
    expect(teamOf(form, 'Infrastructure').brief).toEqual({
      focus: 'Infrastructure: database schema, config service, auth middleware.',
      owns: 'db/\nconfig/\nauth/',
    });
  });

  it('gives every team of every template a brief, and every template saves as the engine’s schema wants', () => {
    for (const template of DESIGN_TEMPLATES) {
      const form = designFromTemplate(template, ids());
      expect(form.teams.every((t) => t.brief.focus.trim().length > 0)).toBe(true);
      const built = formToDraft(form);
      expect(built.ok && teamDesignDraftSchema.safeParse(built.draft).success).toBe(true);
    }
  });
});
