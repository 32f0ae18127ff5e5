import { describe, expect, it } from 'vitest';
import type { ControlRoomApi, EventPayload } from '../../../src/shared/contract.js';
import type { Result } from '../../../src/shared/result.js';
import type { TeamDesign, TeamDesignDraft } from '../../../src/shared/team.js';
import { alwaysOpen } from '../api/connection.js';
import { addTeam, updateAgent } from '../domain/design-form.js';
import { setAfter } from '../domain/design-phases.js';
import { createControlRoomStore } from './store.js';
import { isDirty } from './teams-slice.js';

type Handler = (request: never) => Result<unknown>;

function fakeApi(handlers: Record<string, Handler>) {
  const calls: { channel: string; request: unknown }[] = [];
  let changed: ((e: EventPayload<'teams:changed'>) => void) | undefined;
  const api: ControlRoomApi = {
    invoke: (channel, request) => {
      calls.push({ channel, request });
      const handler = handlers[channel];
      const result = handler ? handler(request as never) : { ok: true, data: [] };
      return Promise.resolve(result) as never;
    },
    on: (event, listener) => {
      if (event === 'teams:changed') changed = listener as typeof changed;
      return () => undefined;
    },
  };
  return { api, calls, emit: (e: EventPayload<'teams:changed'>) => changed?.(e) };
}

function makeStore(handlers: Record<string, Handler> = {}) {
  const fake = fakeApi(handlers);
  const files: { name: string; text: string }[] = [];
  const hashes: string[] = [];
  let n = 0;
  const store = createControlRoomStore({
    api: fake.api,
    connection: alwaysOpen,
    transport: 'websocket',
    newId: () => `id-${++n}`,
    saveFile: (name, text) => files.push({ name, text }),
    writeHash: (hash) => hashes.push(hash),
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  return { store, ...fake, files, hashes };
}

const saved = (over: Partial<TeamDesign> = {}): TeamDesign => ({
  id: 'd1',
  revision: 1,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  name: 'Squad',
  description: '',
  canvas: { zoom: 1, offset: { x: 0, y: 0 } },
  teams: [],
  ...over,
});

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('teams slice', () => {
  it('saves a new design, then edits it with the revision it was saved at', async () => {
    let revision = 0;
    const { store, calls, hashes } = makeStore({
      'teams:save': (req: { design: { name: string } }) =>
        ok(saved({ name: req.design.name, revision: ++revision })),
    });
    store.getState().navigate({ area: 'teams', design: 'new' });
    store.getState().editDesign((f) => ({ ...f, name: 'Squad' }));
    expect(isDirty(store.getState())).toBe(true);
    expect(await store.getState().saveDesign()).toBe(true);
    const first = calls.find((c) => c.channel === 'teams:save')!.request as {
      design: Record<string, unknown>;
    };
    expect(first.design.id).toBeUndefined();
    expect(first.design.expectedRevision).toBeUndefined();
    expect(store.getState().editor?.designId).toBe('d1');
    expect(isDirty(store.getState())).toBe(false);
    expect(hashes.at(-1)).toBe('#/teams/d1');

    store.getState().editDesign((f) => ({ ...f, name: 'Squad 2' }));
    await store.getState().saveDesign();
    const second = calls.filter((c) => c.channel === 'teams:save')[1]!.request as {
      design: Record<string, unknown>;
    };
    expect(second.design).toMatchObject({ id: 'd1', expectedRevision: 1, name: 'Squad 2' });
  });

  it('keeps the edits and shows the engine message when a save fails', async () => {
    const { store } = makeStore({
      'teams:save': () =>
        fail(
          'invalid_request',
          'teams:save: request.design.teams.0.agents.1.name: duplicate agent name "Lead 1"',
        ),
    });
    store.getState().newDesign();
    const team = store.getState().editor!.form.teams[0]!;
    store
      .getState()
      .editDesign((f) => updateAgent({ ...f, name: 'X' }, team.id, team.agents[1]!.id, { name: 'Lead 1' }));
    const before = store.getState().editor!.form;
    expect(await store.getState().saveDesign()).toBe(false);
    const editor = store.getState().editor!;
    expect(editor.form).toBe(before);
    expect(editor.status).toBe('ready');
    expect(editor.error).toBe('Team “Team 1” › agent “Lead 1” › name: duplicate agent name "Lead 1"');
  });

  it('explains a conflict without dropping the edits', async () => {
    const { store } = makeStore({
      'teams:get': () => ok(saved()),
      'teams:save': () => fail('conflict', 'revision 2 is stored; you edited revision 1'),
    });
    await store.getState().openDesign('d1');
    store.getState().editDesign((f) => ({ ...f, name: 'Mine' }));
    await store.getState().saveDesign();
    const editor = store.getState().editor!;
    expect(editor.errorCode).toBe('conflict');
    expect(editor.error).toMatch(/saved elsewhere after you opened it/);
    expect(editor.form.name).toBe('Mine');
  });

  it('refuses an oversized file without reading or sending it', async () => {
    const { store, calls } = makeStore();
    let read = false;
    const okImport = await store.getState().importDesign({
      name: 'big.json',
      size: 2 * 1024 * 1024,
      text: () => {
        read = true;
        return Promise.resolve('{}');
      },
    });
    expect(okImport).toBe(false);
    expect(read).toBe(false);
    expect(calls.some((c) => c.channel === 'teams:import')).toBe(false);
    expect(store.getState().notice).toEqual({
      tone: 'error',
      text: expect.stringContaining('big.json') as unknown,
    });
  });

  it('shows the engine message for a rejected import', async () => {
    const { store } = makeStore({
      'teams:import': () => fail('invalid_team_file', 'team file is not valid JSON: oops'),
    });
    await store.getState().importDesign({ name: 'bad.json', size: 5, text: () => Promise.resolve('{oops') });
    expect(store.getState().notice?.text).toBe(
      'Could not import bad.json: team file is not valid JSON: oops',
    );
  });

  it('exports through saveFile with the name the engine chose', async () => {
    const { store, files } = makeStore({
      'teams:export': () => ok({ fileName: 'Squad.team.json', json: '{}' }),
    });
    await store.getState().exportDesign('d1');
    expect(files).toEqual([{ name: 'Squad.team.json', text: '{}' }]);
  });

  it('reloads the list on teams:changed, and follows a remote save only when there is nothing to lose', async () => {
    let revision = 1;
    const { store, calls, emit } = makeStore({ 'teams:get': () => ok(saved({ revision })) });
    await store.getState().loadTeams();
    await store.getState().openDesign('d1');
    revision = 2;
    emit({ id: 'd1', change: 'saved', revision: 2 });
    await flush();
    expect(calls.filter((c) => c.channel === 'teams:list')).toHaveLength(2);
    expect(store.getState().editor?.revision).toBe(2);

    store.getState().editDesign((f) => ({ ...f, name: 'edited' }));
    emit({ id: 'd1', change: 'saved', revision: 3 });
    await flush();
    expect(store.getState().editor?.remoteChange).toBe('changed');
    expect(store.getState().editor?.form.name).toBe('edited');
  });

  it('closes the editor of a design it deletes', async () => {
    const { store } = makeStore({ 'teams:get': () => ok(saved()), 'teams:delete': () => ok({ id: 'd1' }) });
    store.getState().navigate({ area: 'teams', design: 'd1' });
    await flush();
    expect(store.getState().editor?.designId).toBe('d1');
    await store.getState().deleteDesign('d1');
    expect(store.getState().editor).toBeNull();
    expect(store.getState().route).toEqual({ area: 'teams' });
  });

  it('undoes and redoes edits, one step per typed field', () => {
    const { store } = makeStore();
    store.getState().newDesign();
    const get = () => store.getState().editor!;
    const start = get().form;
    for (const name of ['S', 'Sq', 'Squad']) {
      store.getState().editDesign((f) => ({ ...f, name }), { coalesce: 'design:name' });
    }
    store.getState().editDesign((f, newId) => addTeam(f, newId));
    expect(get().history.past).toHaveLength(2);
    expect(get().form.teams).toHaveLength(2);

    store.getState().undo();
    expect(get().form.teams).toHaveLength(1);
    expect(get().form.name).toBe('Squad');
    store.getState().undo();
    expect(get().form).toBe(start);
    expect(isDirty(store.getState())).toBe(false);
    store.getState().undo();
    expect(get().form).toBe(start);

    store.getState().redo();
    store.getState().redo();
    expect(get().form.name).toBe('Squad');
    expect(get().form.teams).toHaveLength(2);
    expect(get().history.future).toHaveLength(0);

    // A new edit after an undo drops the redo branch; an unchanged form adds no step.
    store.getState().undo();
    store.getState().editDesign((f) => ({ ...f, description: 'x' }));
    expect(get().history.future).toHaveLength(0);
    const steps = get().history.past.length;
    store.getState().editDesign((f) => f);
    expect(get().history.past).toHaveLength(steps);
  });

  it('starts a design from a template, replacing an untouched new one', () => {
    const { store } = makeStore();
    store.getState().navigate({ area: 'teams', design: 'new' });
    expect(store.getState().editor!.form.teams).toHaveLength(1);
    store.getState().newDesign('four-by-four');
    const form = store.getState().editor!.form;
    expect(form.name).toBe('4 × 4 × 4');
    expect(form.teams.map((t) => t.agents.length)).toEqual([5, 5, 5, 5]);
    // Re-entering the route keeps it.
    store.getState().navigate({ area: 'teams', design: 'new' });
    expect(store.getState().editor!.form).toBe(form);
  });

  it('sends the template’s briefs and phases and the director model on save; a refused circle is no history step', async () => {
    const { store, calls } = makeStore({
      'teams:save': (req: { design: Omit<TeamDesign, 'id' | 'revision' | 'createdAt' | 'updatedAt'> }) =>
        ok(saved({ ...req.design, revision: 1 })),
    });
    store.getState().navigate({ area: 'teams', design: 'new' });
    store.getState().newDesign('four-by-four');
    const form = store.getState().editor!.form;
    const id = (name: string) => form.teams.find((t) => t.name === name)!.id;
    // Infrastructure after Interfaces would close a circle: refused, nothing to undo.
    store.getState().editDesign((f) => setAfter(f, id('Infrastructure'), [id('Interfaces')]));
    expect(store.getState().editor!.form).toBe(form);
    expect(store.getState().editor!.history.past).toHaveLength(0);
    // Interfaces starting at once is one step, undone by one Ctrl+Z.
    store.getState().editDesign((f) => setAfter(f, id('Interfaces'), []));
    expect(store.getState().editor!.form.teams.find((t) => t.name === 'Interfaces')!.after).toEqual([]);
    store.getState().undo();
    expect(store.getState().editor!.form).toBe(form);
    store.getState().editDesign((f) => ({ ...f, directorModel: 'claude-sonnet-4-5' }));

    expect(await store.getState().saveDesign()).toBe(true);
    const sent = calls.find((c) => c.channel === 'teams:save')!.request as { design: TeamDesignDraft };
    expect(sent.design.director).toEqual({ model: 'claude-sonnet-4-5' });
    expect(sent.design.teams.map((t) => [t.name, t.after ?? [], t.brief?.owns])).toEqual([
      ['Infrastructure', [], ['db/', 'config/', 'auth/']],
      ['Workers', [id('Infrastructure')], ['workers/', 'jobs/']],
      ['Operations', [id('Infrastructure')], ['ops/', 'deploy/']],
      ['Interfaces', [id('Workers'), id('Operations')], ['api/', 'ui/']],
    ]);
    // The saved design comes back with them, so the board still shows the phases.
    expect(isDirty(store.getState())).toBe(false);
    expect(store.getState().editor!.form.teams.find((t) => t.name === 'Interfaces')!.after).toHaveLength(2);
  });

  it('keeps undo across a save and makes Discard undoable', async () => {
    const { store } = makeStore({ 'teams:save': () => ok(saved({ name: 'Squad' })) });
    store.getState().newDesign();
    store.getState().editDesign((f) => ({ ...f, name: 'Squad' }));
    await store.getState().saveDesign();
    expect(store.getState().editor!.history.past).toHaveLength(1);
    store.getState().editDesign((f) => ({ ...f, name: 'Other' }));
    store.getState().discardChanges();
    expect(store.getState().editor!.form.name).toBe('Squad');
    store.getState().undo();
    expect(store.getState().editor!.form.name).toBe('Other');
  });

  it('loads prices and limits for the estimate, and reports a failure', async () => {
    const view = {
      priceTable: { version: 1, currency: 'USD', rows: [] },
      poolLimits: {},
      poolLimitsStored: true,
      presets: [],
    };
    const { store } = makeStore({ 'settings:get': () => ok(view) });
    await store.getState().loadDesignerSettings();
    expect(store.getState().designerSettings).toMatchObject({ status: 'ready', poolLimitsStored: true });
    const failing = makeStore({ 'settings:get': () => fail('unavailable', 'engine away') });
    await failing.store.getState().loadDesignerSettings();
    expect(failing.store.getState().designerSettings).toMatchObject({
      status: 'error',
      error: 'engine away',
    });
  });
});

function ok<T>(data: T): Result<T> {
  return { ok: true, data };
}

function fail(
  code: 'invalid_request' | 'conflict' | 'invalid_team_file' | 'unavailable',
  message: string,
): Result<never> {
  return { ok: false, error: { code, message } };
}
