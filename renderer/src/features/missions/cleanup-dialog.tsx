import { useEffect, useId, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { CleanUpResult, LeftoversView, MissionLeftovers } from '../../../../src/shared/contract/missions.js';
import { formatDateTime, plural } from '../../lib/format.js';
import { useStore, type LoadStatus } from '../../store/index.js';

/** "12.3 MB": sizes as a person reads them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** What one mission's row says it would remove. */
export function leftoverSummary(m: MissionLeftovers): string {
  const parts: string[] = [];
  if (m.worktrees.length > 0) parts.push(plural(m.worktrees.length, 'worktree'));
  else if (m.worktreeDir) parts.push('its worktree folder');
  if (m.branches.length > 0) parts.push(plural(m.branches.length, 'branch', 'branches'));
  const size = m.sizeBytes === null ? ' (size not counted)' : m.sizeBytes > 0 ? ` (${formatBytes(m.sizeBytes)})` : '';
  return `${parts.join(' and ')}${size}`;
}

/** The missions ticked when the dialog opens: all but those whose branches the person chose to keep. */
export function defaultSelection(view: LeftoversView | null): Set<string> {
  return new Set((view?.missions ?? []).filter((m) => !m.keepBranches).map((m) => m.missionId));
}

export interface CleanupDialogViewProps {
  ids: string;
  status: LoadStatus;
  error: string | null;
  leftovers: LeftoversView | null;
  selected: ReadonlySet<string>;
  onToggle(missionId: string): void;
  busy: boolean;
  cleanUpError: string | null;
  result: CleanUpResult | null;
}

/** The dialog's body: what finished missions left, a box per mission, and what went. */
export function CleanupDialogBody({ ids, status, error, leftovers, selected, onToggle, busy, cleanUpError, result }: CleanupDialogViewProps) {
  const removed = result?.missions ?? [];
  return (
    <div className="cleanup">
      {result ? (
        <p role="status" className="cleanup-result">
          {removed.length === 0
            ? 'Nothing was left to remove.'
            : `Removed ${plural(
                removed.reduce((n, m) => n + m.worktrees.length, 0),
                'worktree',
              )} and ${plural(
                removed.reduce((n, m) => n + m.branches.length, 0),
                'branch',
                'branches',
              )}. Mission branches were kept.`}
        </p>
      ) : null}
      {status === 'loading' || status === 'idle' ? (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> Looking for leftovers…
        </p>
      ) : status === 'error' ? (
        <p role="alert" className="inline-error">
          Could not list what finished missions left: {error}
        </p>
      ) : leftovers && leftovers.missions.length === 0 ? (
        <p>Finished missions left nothing behind. Running and paused missions are never touched.</p>
      ) : leftovers ? (
        <>
          <p>
            Worktrees and team and coder branches of done, failed and cancelled missions. Each mission branch (<code>cr/…/@mission</code>) is
            kept: it holds the mission’s work. Running and paused missions are never touched.
          </p>
          <ul className="cleanup-list" aria-label="Finished missions with leftovers">
            {leftovers.missions.map((m) => (
              <li key={m.missionId} className="cleanup-item">
                <label className="cleanup-choice">
                  <input
                    type="checkbox"
                    checked={selected.has(m.missionId)}
                    disabled={busy}
                    onChange={() => onToggle(m.missionId)}
                    aria-describedby={`${ids}-${m.missionId}`}
                  />
                  <span className="cleanup-name">{m.name}</span>
                  <span className="muted">
                    {' '}
                    · {m.state}
                    {m.endedAt ? ` ${formatDateTime(m.endedAt)}` : ''}
                  </span>
                </label>
                <div id={`${ids}-${m.missionId}`} className="cleanup-detail">
                  {leftoverSummary(m)}
                  {m.keepBranches ? ' · kept by “Keep branches”' : ''}
                  <span className="muted"> · {m.repoPath}</span>
                </div>
                {m.branches.length > 0 ? (
                  <details className="cleanup-branches">
                    <summary>Branches</summary>
                    <ul>
                      {m.branches.map((b) => (
                        <li key={b}>
                          <code>{b}</code>
                        </li>
                      ))}
                    </ul>
                    {m.missionBranch ? (
                      <p className="muted">
                        Kept: <code>{m.missionBranch}</code>
                      </p>
                    ) : null}
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {leftovers && leftovers.unknown.length > 0 ? (
        <details className="cleanup-unknown">
          <summary>{plural(leftovers.unknown.length, 'branch folder')} under cr/ that no mission here owns (left alone)</summary>
          <ul>
            {leftovers.unknown.map((u) => (
              <li key={`${u.repoPath}:${u.slug}`}>
                <code>cr/{u.slug}/</code> in {u.repoPath}: {plural(u.branches.length, 'branch', 'branches')}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {cleanUpError ? (
        <p role="alert" className="inline-error">
          {cleanUpError}
        </p>
      ) : null}
    </div>
  );
}

/** The Missions screen's "Clean up" button and its dialog: list what finished missions left, confirm, remove. */
export function CleanUpButton() {
  const [open, setOpen] = useState(false);
  // Ids the person flipped from the default ticks (all but kept missions'), so a fresh listing keeps them.
  const [flipped, setFlipped] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<CleanUpResult | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const state = useStore(
    useShallow((s) => ({
      leftovers: s.leftovers,
      status: s.leftoversStatus,
      error: s.leftoversError,
      cleaning: s.cleaning,
      cleanUpError: s.cleanUpError,
      loadLeftovers: s.loadLeftovers,
      cleanUp: s.cleanUp,
    })),
  );
  const { leftovers, loadLeftovers, cleanUp } = state;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  // A fresh listing each time the dialog opens: the disk is the truth, not the last look.
  useEffect(() => {
    if (open) void loadLeftovers();
  }, [open, loadLeftovers]);
  const selected = new Set([...defaultSelection(leftovers)].filter((id) => !flipped.has(id)));
  for (const id of flipped) if (!defaultSelection(leftovers).has(id)) selected.add(id);

  const close = () => {
    setOpen(false);
    setResult(null);
    setFlipped(new Set());
  };
  const chosen = (leftovers?.missions ?? []).filter((m) => selected.has(m.missionId)).map((m) => m.missionId);

  return (
    <>
      <button type="button" className="btn" onClick={() => setOpen(true)}>
        Clean up
      </button>
      <dialog
        ref={ref}
        className="dialog cleanup-dialog"
        aria-labelledby={`${ids}-title`}
        onCancel={(event) => {
          event.preventDefault();
          close();
        }}
      >
        <h2 id={`${ids}-title`} className="dialog-title">
          Clean up finished missions
        </h2>
        <div className="dialog-body">
          {open ? (
            <CleanupDialogBody
              ids={ids}
              status={state.status}
              error={state.error}
              leftovers={leftovers}
              selected={selected}
              onToggle={(id) =>
                setFlipped((current) => {
                  const next = new Set(current);
                  if (next.has(id)) next.delete(id);
                  else next.add(id);
                  return next;
                })
              }
              busy={state.cleaning}
              cleanUpError={state.cleanUpError}
              result={result}
            />
          ) : null}
        </div>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={close} autoFocus>
            {result ? 'Close' : 'Cancel'}
          </button>
          {leftovers && leftovers.missions.length > 0 ? (
            <button
              type="button"
              className="btn btn-danger"
              disabled={state.cleaning || chosen.length === 0}
              onClick={() => {
                void cleanUp(chosen).then((done) => {
                  if (done) setResult(done);
                });
              }}
            >
              {state.cleaning ? 'Removing…' : `Remove leftovers of ${plural(chosen.length, 'mission')}`}
            </button>
          ) : null}
        </div>
      </dialog>
    </>
  );
}

const FINAL_STATES = new Set(['done', 'failed', 'cancelled']);

/**
 * The mission page's "Keep branches": before the mission ends, whether its team and coder
 * branches outlive it; after, whether they did, with a way to delete kept ones now.
 */
export function KeepBranchesToggle({ mission }: { mission: { id: string; state: string; keepBranches: boolean; missionBranch: string | null } }) {
  const { setKeepBranches, cleanUp } = useStore(useShallow((s) => ({ setKeepBranches: s.setKeepBranches, cleanUp: s.cleanUp })));
  const cleanUpError = useStore((s) => s.cleanUpError);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<number | null>(null);
  // The engine's reason for a failed deletion is the store's (cleanUpError).
  const [failed, setFailed] = useState(false);
  // The choice shows at once; the mission's own value takes over once the engine has it.
  const [pending, setPending] = useState<boolean | null>(null);
  const ids = useId();
  const ended = FINAL_STATES.has(mission.state);

  if (ended) {
    return (
      <div className="keep-branches card" aria-label="Branches">
        <span>
          {mission.keepBranches && deleted === null
            ? 'Its worktrees were removed; its team and coder branches were kept.'
            : 'Its worktrees were removed, and its team and coder branches deleted.'}
          {mission.missionBranch ? (
            <>
              {' '}
              <code>{mission.missionBranch}</code> keeps the work.
            </>
          ) : null}
          {deleted !== null ? ` Deleted ${plural(deleted, 'branch', 'branches')}.` : ''}
        </span>
        {mission.keepBranches && deleted === null ? (
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              setFailed(false);
              void cleanUp([mission.id]).then((result) => {
                setBusy(false);
                if (result) setDeleted(result.missions.reduce((n, m) => n + m.branches.length, 0));
                else setFailed(true);
              });
            }}
          >
            Delete its branches now
          </button>
        ) : null}
        {failed ? (
          <span role="alert" className="inline-error">
            {cleanUpError ?? 'Could not delete its branches.'}
          </span>
        ) : null}
      </div>
    );
  }
  return (
    <div className="keep-branches card">
      <label htmlFor={`${ids}-keep`} className="keep-branches-label">
        <input
          id={`${ids}-keep`}
          type="checkbox"
          checked={pending ?? mission.keepBranches}
          disabled={busy}
          aria-describedby={`${ids}-keep-hint`}
          onChange={(event) => {
            const keep = event.target.checked;
            setBusy(true);
            setError(null);
            setPending(keep);
            void setKeepBranches(mission.id, keep).then((outcome) => {
              setBusy(false);
              setPending(null);
              if (!outcome.ok) setError(outcome.error);
            });
          }}
        />{' '}
        Keep branches
      </label>
      <span id={`${ids}-keep-hint`} className="muted">
        When the mission ends its worktrees are removed; ticked, its team and coder branches stay too. The mission branch always stays.
      </span>
      {error ? (
        <span role="alert" className="inline-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}
