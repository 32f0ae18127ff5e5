import { useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { TeamDesignSummary } from '../../../../src/shared/team.js';
import { DESIGN_TEMPLATES } from '../../domain/team-templates.js';
import { formatDateTime } from '../../lib/format.js';
import { isDirty, useStore } from '../../store/index.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';

const TEMPLATE_PREFIX = 'template:';

export function DesignList() {
  const teams = useStore((s) => s.teams);
  const status = useStore((s) => s.teamsStatus);
  const error = useStore((s) => s.teamsError);
  const notice = useStore((s) => s.notice);
  const importing = useStore((s) => s.importing);
  const busyIds = useStore((s) => s.busyIds);
  const draft = useStore(isDirty);
  const draftId = useStore((s) => s.editor?.designId ?? null);
  const draftName = useStore((s) => s.editor?.form.name ?? '');
  const {
    loadTeams,
    navigate,
    exportDesign,
    deleteDesign,
    importDesign,
    dismissNotice,
    closeEditor,
    newDesign,
  } = useStore(
    useShallow((s) => ({
      loadTeams: s.loadTeams,
      navigate: s.navigate,
      exportDesign: s.exportDesign,
      deleteDesign: s.deleteDesign,
      importDesign: s.importDesign,
      dismissNotice: s.dismissNotice,
      closeEditor: s.closeEditor,
      newDesign: s.newDesign,
    })),
  );

  const fileInput = useRef<HTMLInputElement>(null);
  const [toDelete, setToDelete] = useState<TeamDesignSummary | null>(null);
  const [switchTo, setSwitchTo] = useState<string | null>(null);

  // Opening another design would replace the unsaved one: ask first. A template always
  // replaces the open draft, so it asks whenever there is one.
  const go = (design: string) => {
    if (design.startsWith(TEMPLATE_PREFIX)) {
      newDesign(design.slice(TEMPLATE_PREFIX.length));
      navigate({ area: 'teams', design: 'new' });
    } else navigate({ area: 'teams', design });
  };
  const open = (design: string) => {
    const template = design.startsWith(TEMPLATE_PREFIX);
    if (draft && (template || draftId !== (design === 'new' ? null : design))) setSwitchTo(design);
    else go(design);
  };

  const templates = (
    <section className="templates" aria-labelledby="templates-title">
      <div className="section-head">
        <h3 id="templates-title" className="section-title">
          Start from a template
        </h3>
      </div>
      <div className="template-grid">
        {DESIGN_TEMPLATES.map((template) => (
          <button
            key={template.id}
            type="button"
            className="template-card"
            aria-label={`Use template ${template.label}`}
            onClick={() => open(`${TEMPLATE_PREFIX}${template.id}`)}
          >
            <span className="template-name">{template.label}</span>
            <span className="template-summary">{template.summary}</span>
            <span className="template-shape" aria-hidden="true">
              {template.teams.map((team, i) => (
                <span key={i} className="template-team">
                  {Array.from({ length: team.coders + 1 }, (_, j) => (
                    <span key={j} />
                  ))}
                </span>
              ))}
            </span>
          </button>
        ))}
      </div>
    </section>
  );

  const importButton = (
    <>
      <input
        ref={fileInput}
        type="file"
        accept=".json,application/json"
        className="visually-hidden"
        aria-label="Import team file"
        tabIndex={-1}
        onChange={(event) => {
          const file = event.target.files?.[0];
          // Cleared so choosing the same file again (after fixing it) still fires.
          event.target.value = '';
          if (file) void importDesign(file);
        }}
      />
      <button type="button" className="btn" disabled={importing} onClick={() => fileInput.current?.click()}>
        {importing ? 'Importing…' : 'Import…'}
      </button>
    </>
  );

  return (
    <div className="page">
      <PageHeader
        title="Team designs"
        subtitle="Each design holds teams: a leader and the coders it directs, with their models, budgets and permissions."
        actions={
          <>
            {importButton}
            <button type="button" className="btn btn-primary" onClick={() => open('new')}>
              New design
            </button>
          </>
        }
      />

      <NoticeBar notice={notice} onDismiss={dismissNotice} />

      {draft ? (
        <div className="banner banner-info" role="status">
          <span>
            You have unsaved changes to <strong>{draftName || 'a new design'}</strong>.
          </span>
          <span className="banner-actions">
            <button
              type="button"
              className="btn btn-small"
              onClick={() => navigate({ area: 'teams', design: draftId ?? 'new' })}
            >
              Continue editing
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={closeEditor}>
              Discard changes
            </button>
          </span>
        </div>
      ) : null}

      {status === 'loading' || status === 'idle' ? (
        <div className="card placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading team designs…
        </div>
      ) : status === 'error' ? (
        <div className="card inline-error" role="alert">
          <span>Could not load team designs: {error}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadTeams()}>
            Try again
          </button>
        </div>
      ) : teams.length === 0 ? (
        <section className="empty-state" aria-label="No team designs">
          <div className="empty-icon" aria-hidden="true">
            ◫
          </div>
          <h3>No team designs yet</h3>
          <p>
            Start from a template below, create a design from scratch, or import a team file someone shared
            with you.
          </p>
          <div className="empty-actions">
            <button type="button" className="btn btn-primary" onClick={() => open('new')}>
              Create a team design
            </button>
          </div>
        </section>
      ) : (
        <div className="card table-card">
          <table className="table" aria-label="Team designs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Teams
                </th>
                <th scope="col" className="num">
                  Agents
                </th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {teams.map((design) => {
                const busy = busyIds.includes(design.id);
                return (
                  <tr key={design.id}>
                    <th scope="row">
                      <button type="button" className="link-button" onClick={() => open(design.id)}>
                        {design.name}
                      </button>
                      {design.description ? (
                        <div className="row-description">{design.description}</div>
                      ) : null}
                    </th>
                    <td className="num">{design.teamCount}</td>
                    <td className="num">{design.agentCount}</td>
                    <td className="nowrap">{formatDateTime(design.updatedAt)}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={() => open(design.id)}
                        aria-label={`Edit ${design.name}`}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy}
                        onClick={() => void exportDesign(design.id)}
                        aria-label={`Export ${design.name}`}
                      >
                        Export
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-ghost"
                        disabled={busy}
                        onClick={() => setToDelete(design)}
                        aria-label={`Delete ${design.name}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {status === 'ready' ? templates : null}

      <ConfirmDialog
        open={toDelete !== null}
        title="Delete this team design?"
        confirmLabel="Delete design"
        tone="danger"
        busy={toDelete !== null && busyIds.includes(toDelete.id)}
        onCancel={() => setToDelete(null)}
        onConfirm={() => {
          if (!toDelete) return;
          void deleteDesign(toDelete.id).then(() => setToDelete(null));
        }}
      >
        <p>
          “{toDelete?.name}” and its {toDelete?.teamCount} teams and {toDelete?.agentCount} agents will be
          deleted. Export it first if you may want it back.
        </p>
      </ConfirmDialog>

      <ConfirmDialog
        open={switchTo !== null}
        title="Discard unsaved changes?"
        confirmLabel="Discard and continue"
        tone="danger"
        onCancel={() => setSwitchTo(null)}
        onConfirm={() => {
          const target = switchTo;
          setSwitchTo(null);
          closeEditor();
          if (target) go(target);
        }}
      >
        <p>The changes to “{draftName || 'the new design'}” are not saved and will be lost.</p>
      </ConfirmDialog>
    </div>
  );
}
