import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MODELS, findModel } from '../../../../src/shared/models.js';
import { countAgents, DEFAULT_DIRECTOR_MODEL } from '../../../../src/shared/team.js';
import { plural } from '../../lib/format.js';
import { isDirty, useStore } from '../../store/index.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { Field } from '../../ui/field.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { Designer } from './designer.js';

export function DesignEditor() {
  const editor = useStore((s) => s.editor);
  const dirty = useStore(isDirty);
  const canUndo = useStore((s) => (s.editor?.history.past.length ?? 0) > 0);
  const canRedo = useStore((s) => (s.editor?.history.future.length ?? 0) > 0);
  const notice = useStore((s) => s.notice);
  const routeDesign = useStore((s) => s.route.design);
  const busy = useStore((s) => (s.editor?.designId ? s.busyIds.includes(s.editor.designId) : false));
  const actions = useStore(
    useShallow((s) => ({
      navigate: s.navigate,
      editDesign: s.editDesign,
      saveDesign: s.saveDesign,
      discardChanges: s.discardChanges,
      openDesign: s.openDesign,
      deleteDesign: s.deleteDesign,
      exportDesign: s.exportDesign,
      dismissNotice: s.dismissNotice,
      closeEditor: s.closeEditor,
      undo: s.undo,
      redo: s.redo,
    })),
  );
  const [confirmDelete, setConfirmDelete] = useState(false);
  const id = useId();

  // Closing the tab would lose the edits without a word; the browser asks instead.
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  // The palette and the side panel stick just below the editor bar, whose height depends
  // on the banners above it and the window's fonts: measure it instead of guessing.
  const barRef = useRef<HTMLDivElement>(null);
  const ready = editor?.status === 'ready' || editor?.status === 'saving';
  useEffect(() => {
    const bar = barRef.current;
    const page = bar?.parentElement;
    if (!bar || !page) return;
    const update = () => {
      const top = parseFloat(getComputedStyle(bar).top) || 0;
      page.style.setProperty(
        '--editor-bar-bottom',
        `${Math.round(top + bar.getBoundingClientRect().height)}px`,
      );
    };
    update();
    const observer = new ResizeObserver(update);
    observer.observe(bar);
    return () => observer.disconnect();
  }, [ready]);

  const back = () => actions.navigate({ area: 'teams' });

  if (!editor || editor.status === 'loading') {
    return (
      <div className="page">
        <div className="card placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the design…
        </div>
      </div>
    );
  }

  if (editor.status === 'load-error') {
    return (
      <div className="page">
        <BackLink onClick={back} />
        <div className="card inline-error" role="alert">
          <span>
            {editor.errorCode === 'not_found'
              ? 'This team design does not exist (it may have been deleted).'
              : 'Could not open the design.'}{' '}
            {editor.error}
          </span>
          <span className="banner-actions">
            {editor.errorCode !== 'not_found' && routeDesign ? (
              <button
                type="button"
                className="btn btn-small"
                onClick={() => void actions.openDesign(routeDesign, { force: true })}
              >
                Try again
              </button>
            ) : null}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                actions.closeEditor();
                back();
              }}
            >
              Back to team designs
            </button>
          </span>
        </div>
      </div>
    );
  }

  const { form } = editor;
  const saving = editor.status === 'saving';
  const isNew = editor.designId === null;
  const title = form.name.trim() || (isNew ? 'New team design' : 'Untitled design');

  return (
    <form
      className="page page-wide editor"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void actions.saveDesign();
      }}
      onKeyDown={(event) => {
        if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
          event.preventDefault();
          void actions.saveDesign();
        }
      }}
    >
      <div className="editor-bar" ref={barRef}>
        <BackLink onClick={back} />
        <div className="page-header">
          <div className="page-header-text">
            <div className="page-title-row">
              <h2 id={`${id}-title`} className="page-title">
                {title}
              </h2>
              {dirty ? (
                <span className="badge badge-warn" role="status">
                  Unsaved changes
                </span>
              ) : isNew ? (
                <span className="badge">Not saved yet</span>
              ) : (
                <span className="badge badge-success">Saved</span>
              )}
            </div>
            <p className="page-subtitle">
              {plural(form.teams.length, 'team')} · {plural(countAgents(form), 'agent')}
            </p>
          </div>
          <div className="page-actions">
            <div className="undo-group" role="group" aria-label="History">
              <button
                type="button"
                className="btn btn-icon-text"
                disabled={!canUndo || saving}
                onClick={actions.undo}
                aria-keyshortcuts="Control+Z Meta+Z"
                title="Undo (Ctrl+Z)"
              >
                <span aria-hidden="true">↶</span> Undo
              </button>
              <button
                type="button"
                className="btn btn-icon-text"
                disabled={!canRedo || saving}
                onClick={actions.redo}
                aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
                title="Redo (Shift+Ctrl+Z)"
              >
                <span aria-hidden="true">↷</span> Redo
              </button>
            </div>
            {isNew ? null : (
              <>
                <button
                  type="button"
                  className="btn"
                  disabled={busy || dirty}
                  title={dirty ? 'Save first: export writes the saved version' : undefined}
                  onClick={() => editor.designId && void actions.exportDesign(editor.designId)}
                >
                  Export
                </button>
                <button
                  type="button"
                  className="btn btn-danger-ghost"
                  disabled={busy || saving}
                  onClick={() => setConfirmDelete(true)}
                >
                  Delete
                </button>
              </>
            )}
            {dirty ? (
              <button type="button" className="btn" disabled={saving} onClick={actions.discardChanges}>
                Discard changes
              </button>
            ) : null}
            <button type="submit" className="btn btn-primary" disabled={saving || (!dirty && !isNew)}>
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>
      </div>

      {editor.error ? (
        <div className="form-error" role="alert">
          <strong>Could not save.</strong> <span>{editor.error}</span>
          {editor.errorCode === 'conflict' && editor.designId ? (
            <div className="form-error-actions">
              <button
                type="button"
                className="btn btn-small"
                onClick={() => editor.designId && void actions.openDesign(editor.designId, { force: true })}
              >
                Reload design (discard my edits)
              </button>
            </div>
          ) : null}
        </div>
      ) : null}

      {editor.errorCode === 'conflict' ? null : editor.remoteChange === 'changed' ? (
        <div className="banner banner-warn" role="alert">
          <span>
            This design was changed in another window. Saving now will be refused; reload to see the other
            version.
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => editor.designId && void actions.openDesign(editor.designId, { force: true })}
          >
            Reload design
          </button>
        </div>
      ) : editor.remoteChange === 'deleted' ? (
        <div className="banner banner-warn" role="alert">
          <span>
            This design was deleted in another window. Your edits are still here, but it can no longer be
            saved.
          </span>
        </div>
      ) : null}

      <NoticeBar notice={notice} onDismiss={actions.dismissNotice} />

      <section className="card" aria-label="Design details">
        <div className="design-fields">
          <Field id={`${id}-name`} label="Design name">
            <input
              id={`${id}-name`}
              className="input input-large"
              value={form.name}
              placeholder="For example: Payments squad"
              autoComplete="off"
              autoFocus={isNew}
              onChange={(event) =>
                actions.editDesign((f) => ({ ...f, name: event.target.value }), { coalesce: 'design:name' })
              }
            />
          </Field>
          <Field id={`${id}-description`} label="Description">
            <textarea
              id={`${id}-description`}
              className="input textarea"
              rows={2}
              value={form.description}
              placeholder="What this design is for (optional)"
              onChange={(event) =>
                actions.editDesign((f) => ({ ...f, description: event.target.value }), {
                  coalesce: 'design:description',
                })
              }
            />
          </Field>
          <Field
            id={`${id}-director`}
            label="Director model"
            hint="At launch, a director may draft each team’s share of the goal from the teams’ briefs: one call on this model."
          >
            <select
              id={`${id}-director`}
              className="input"
              value={form.directorModel ?? ''}
              onChange={(event) =>
                actions.editDesign((f) => ({
                  ...f,
                  directorModel: event.target.value === '' ? null : event.target.value,
                }))
              }
            >
              <option value="">
                Default ({findModel(DEFAULT_DIRECTOR_MODEL)?.label ?? DEFAULT_DIRECTOR_MODEL})
              </option>
              {form.directorModel !== null && !findModel(form.directorModel) ? (
                <option value={form.directorModel}>{form.directorModel} (unknown)</option>
              ) : null}
              {MODELS.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
      </section>

      <Designer form={form} />

      <ConfirmDialog
        open={confirmDelete}
        title="Delete this team design?"
        confirmLabel="Delete design"
        tone="danger"
        busy={busy}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => {
          if (!editor.designId) return;
          void actions.deleteDesign(editor.designId).then(() => setConfirmDelete(false));
        }}
      >
        <p>
          “{form.name || 'This design'}” with {plural(form.teams.length, 'team')} and{' '}
          {plural(countAgents(form), 'agent')} will be deleted. Export it first if you may want it back.
        </p>
      </ConfirmDialog>
    </form>
  );
}

function BackLink({ onClick }: { onClick(): void }) {
  return (
    <button type="button" className="back-link" onClick={onClick}>
      <span aria-hidden="true">←</span> Team designs
    </button>
  );
}
