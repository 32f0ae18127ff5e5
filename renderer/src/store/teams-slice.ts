import type { SettingsView } from '../../../src/shared/contract/settings.js';
import { DEFAULT_POOL_LIMITS, LIMIT_PRESETS } from '../../../src/shared/limits.js';
import { MAX_TEAM_FILE_BYTES, countAgents, type TeamDesign } from '../../../src/shared/team.js';
import { describeServerMessage, designToForm, emptyDesignForm, formToDraft, sameForm } from '../domain/design-form.js';
import { designFromTemplate, findTemplate } from '../domain/team-templates.js';
import { plural } from '../lib/format.js';
import type { DesignerSettings, EditHistory, EditorState, Slice, StoreState, TeamsSlice } from './state.js';

/** Enough for a long session; older steps fall off so memory stays bounded. */
export const HISTORY_LIMIT = 200;

const emptyHistory = (): EditHistory => ({ past: [], future: [], coalesce: null });

/** True when the editor holds edits that are not saved. */
export function isDirty(state: Pick<StoreState, 'editor'>): boolean {
  const editor = state.editor;
  return editor !== null && editor.status !== 'loading' && !sameForm(editor.form, editor.baseline);
}

function settingsSnapshot(view: SettingsView): DesignerSettings {
  return {
    status: 'ready',
    error: null,
    priceTable: view.priceTable,
    poolLimits: view.poolLimits,
    poolLimitsStored: view.poolLimitsStored,
    presets: view.presets,
  };
}

function readyEditor(design: TeamDesign): EditorState {
  const form = designToForm(design);
  return {
    designId: design.id,
    revision: design.revision,
    form,
    baseline: form,
    status: 'ready',
    error: null,
    errorCode: null,
    remoteChange: null,
    history: emptyHistory(),
  };
}

export const createTeamsSlice: Slice<TeamsSlice> = (deps) => (set, get) => {
  // Several refreshes can overlap (an event arrives mid-load): only the newest may land.
  let listRequest = 0;
  let openRequest = 0;

  const setEditor = (patch: Partial<EditorState>) => {
    const editor = get().editor;
    if (editor) set({ editor: { ...editor, ...patch } });
  };
  const busy = (id: string, on: boolean) =>
    set({ busyIds: on ? [...get().busyIds, id] : get().busyIds.filter((b) => b !== id) });
  const nameOf = (id: string) => get().teams.find((t) => t.id === id)?.name ?? 'the design';

  deps.api.on('teams:changed', (event) => get().handleTeamsChanged(event));
  deps.api.on('settings:changed', (view) => set({ designerSettings: settingsSnapshot(view) }));

  return {
    designerSettings: {
      status: 'idle',
      error: null,
      priceTable: null,
      poolLimits: DEFAULT_POOL_LIMITS,
      poolLimitsStored: false,
      presets: LIMIT_PRESETS,
    },

    async loadDesignerSettings() {
      set({ designerSettings: { ...get().designerSettings, status: 'loading', error: null } });
      const result = await deps.api.invoke('settings:get', {});
      if (result.ok) set({ designerSettings: settingsSnapshot(result.data) });
      else
        set({
          designerSettings: { ...get().designerSettings, status: 'error', error: result.error.message },
        });
    },

    teams: [],
    teamsStatus: 'idle',
    teamsError: null,
    editor: null,
    notice: null,
    busyIds: [],
    importing: false,

    async loadTeams() {
      const request = ++listRequest;
      // Keep showing the current list while refreshing; only the first load shows a spinner.
      if (get().teamsStatus !== 'ready') set({ teamsStatus: 'loading', teamsError: null });
      const result = await deps.api.invoke('teams:list', {});
      if (request !== listRequest) return;
      if (result.ok) set({ teams: result.data, teamsStatus: 'ready', teamsError: null });
      else set({ teamsStatus: 'error', teamsError: result.error.message });
    },

    newDesign(templateId) {
      const editor = get().editor;
      const template = templateId === undefined ? undefined : findTemplate(templateId);
      // Re-entering the route of the open new design keeps its edits; a template replaces it.
      if (editor && editor.designId === null && !template) return;
      openRequest++;
      const form = template ? designFromTemplate(template, deps.newId) : emptyDesignForm(deps.newId);
      set({
        editor: {
          designId: null,
          revision: null,
          form,
          baseline: form,
          status: 'ready',
          error: null,
          errorCode: null,
          remoteChange: null,
          history: emptyHistory(),
        },
      });
    },

    async openDesign(id, options) {
      const current = get().editor;
      if (!options?.force && current?.designId === id && current.status !== 'load-error') return;
      const request = ++openRequest;
      const empty = emptyDesignForm(deps.newId);
      set({
        editor: {
          designId: id,
          revision: null,
          form: current?.designId === id ? current.form : empty,
          baseline: current?.designId === id ? current.baseline : empty,
          status: 'loading',
          error: null,
          errorCode: null,
          remoteChange: null,
          history: emptyHistory(),
        },
      });
      const result = await deps.api.invoke('teams:get', { id });
      if (request !== openRequest) return;
      if (result.ok) set({ editor: readyEditor(result.data) });
      else setEditor({ status: 'load-error', error: result.error.message, errorCode: result.error.code });
    },

    editDesign(update, options) {
      const editor = get().editor;
      if (!editor || editor.status === 'loading' || editor.status === 'load-error') return;
      const form = update(editor.form, deps.newId);
      // A refused move (a second leader) returns the same form: nothing to remember.
      if (form === editor.form) return;
      const key = options?.coalesce ?? null;
      const { past } = editor.history;
      const merge = key !== null && key === editor.history.coalesce && past.length > 0;
      set({
        editor: {
          ...editor,
          form,
          history: {
            past: merge ? past : [...past, editor.form].slice(-HISTORY_LIMIT),
            future: [],
            coalesce: key,
          },
        },
      });
    },

    undo() {
      const editor = get().editor;
      if (!editor || editor.status !== 'ready') return;
      const { past, future } = editor.history;
      const previous = past[past.length - 1];
      if (!previous) return;
      set({
        editor: {
          ...editor,
          form: previous,
          history: { past: past.slice(0, -1), future: [editor.form, ...future], coalesce: null },
        },
      });
    },

    redo() {
      const editor = get().editor;
      if (!editor || editor.status !== 'ready') return;
      const { past, future } = editor.history;
      const next = future[0];
      if (!next) return;
      set({
        editor: {
          ...editor,
          form: next,
          history: { past: [...past, editor.form], future: future.slice(1), coalesce: null },
        },
      });
    },

    discardChanges() {
      const editor = get().editor;
      if (!editor) return;
      // Discarding is itself undoable: the edits are one Ctrl+Z away.
      const history: EditHistory = sameForm(editor.form, editor.baseline)
        ? editor.history
        : { past: [...editor.history.past, editor.form].slice(-HISTORY_LIMIT), future: [], coalesce: null };
      set({ editor: { ...editor, form: editor.baseline, error: null, errorCode: null, history } });
    },

    async saveDesign() {
      const editor = get().editor;
      if (!editor || editor.status !== 'ready') return false;
      const built = formToDraft(editor.form, {
        ...(editor.designId !== null ? { id: editor.designId } : {}),
        ...(editor.revision !== null ? { expectedRevision: editor.revision } : {}),
      });
      if (!built.ok) {
        setEditor({ error: built.message, errorCode: 'invalid_request' });
        return false;
      }
      setEditor({ status: 'saving', error: null, errorCode: null });
      const result = await deps.api.invoke('teams:save', { design: built.draft });
      const after = get().editor;
      // The person may have discarded or switched designs while the save was in flight.
      if (!after || after.designId !== editor.designId) return result.ok;
      if (!result.ok) {
        const { code, message } = result.error;
        const text =
          code === 'conflict'
            ? 'This design was saved elsewhere after you opened it, so saving now would overwrite that change. Your edits are still here: copy what you need, then reload the design to see the other version.'
            : describeServerMessage(message, after.form);
        setEditor({ status: 'ready', error: text, errorCode: code });
        return false;
      }
      // Undo survives a save: the saved design is one more step, not a fresh start.
      const saved = { ...readyEditor(result.data), history: { ...after.history, coalesce: null } };
      // Edits typed while the save was in flight stay, marked unsaved.
      const typedMeanwhile = !sameForm(after.form, editor.form);
      set({ editor: typedMeanwhile ? { ...saved, form: after.form } : saved });
      if (editor.designId === null)
        get().navigate({ area: 'teams', design: result.data.id }, { replace: true });
      set({ notice: { tone: 'success', text: `Saved “${result.data.name}”.` } });
      void get().loadTeams();
      return true;
    },

    closeEditor() {
      openRequest++;
      set({ editor: null });
    },

    leaveEditorIfClean() {
      if (!isDirty(get())) get().closeEditor();
    },

    async deleteDesign(id) {
      const name = nameOf(id);
      busy(id, true);
      const result = await deps.api.invoke('teams:delete', { id });
      busy(id, false);
      if (!result.ok) {
        set({ notice: { tone: 'error', text: `Could not delete “${name}”: ${result.error.message}` } });
        return false;
      }
      if (get().editor?.designId === id) {
        get().closeEditor();
        if (get().route.area === 'teams') get().navigate({ area: 'teams' }, { replace: true });
      }
      set({
        teams: get().teams.filter((t) => t.id !== id),
        notice: { tone: 'success', text: `Deleted “${name}”.` },
      });
      void get().loadTeams();
      return true;
    },

    async exportDesign(id) {
      busy(id, true);
      const result = await deps.api.invoke('teams:export', { id });
      busy(id, false);
      if (!result.ok) {
        set({ notice: { tone: 'error', text: `Could not export “${nameOf(id)}”: ${result.error.message}` } });
        return false;
      }
      deps.saveFile(result.data.fileName, result.data.json);
      set({ notice: { tone: 'success', text: `Exported “${nameOf(id)}” as ${result.data.fileName}.` } });
      return true;
    },

    async importDesign(file) {
      const fail = (message: string) => {
        set({
          importing: false,
          notice: { tone: 'error', text: `Could not import ${file.name}: ${message}` },
        });
        return false;
      };
      // Checked before reading so a huge file never lands in memory or on the socket.
      if (file.size > MAX_TEAM_FILE_BYTES) {
        return fail(
          `the file is ${file.size.toLocaleString('en-US')} bytes; team files are at most ${MAX_TEAM_FILE_BYTES.toLocaleString('en-US')} bytes.`,
        );
      }
      set({ importing: true, notice: null });
      let json: string;
      try {
        json = await file.text();
      } catch (error) {
        return fail(`the file could not be read (${(error as Error).message}).`);
      }
      const result = await deps.api.invoke('teams:import', { json });
      if (!result.ok) return fail(result.error.message);
      const design = result.data;
      set({
        importing: false,
        notice: {
          tone: 'success',
          text: `Imported “${design.name}” (${plural(design.teams.length, 'team')}, ${plural(countAgents(design), 'agent')}).`,
        },
      });
      void get().loadTeams();
      return true;
    },

    dismissNotice() {
      set({ notice: null });
    },

    handleTeamsChanged(event) {
      if (get().teamsStatus !== 'idle') void get().loadTeams();
      const editor = get().editor;
      if (!editor || editor.designId !== event.id || editor.status === 'saving') return;
      if (event.change === 'deleted') {
        setEditor({ remoteChange: 'deleted' });
      } else if (event.revision !== editor.revision) {
        // Nothing to lose: follow the other window. With edits, warn instead of clobbering.
        if (isDirty(get())) setEditor({ remoteChange: 'changed' });
        else void get().openDesign(event.id, { force: true });
      }
    },
  };
};
