import { useId } from 'react';
import { shareRows, shareText, type LaunchForm, type ShareRow } from '../../domain/launch-form.js';
import type { LaunchDesignState } from '../../store/state.js';
import './launch-shares.css';

function phaseText(row: ShareRow): string {
  return `Phase ${row.phase} · ${row.afterNames.length > 0 ? `after ${row.afterNames.join(', ')}` : 'starts at once'}`;
}

/**
 * The launch form's "Each team's share": the director's checkbox, then one field per team
 * of the chosen design, pre-filled from its brief's focus and labelled with its phase.
 * With the director asked, the fields give way to an explanation and the teams' phases:
 * the director writes the shares and the person edits its draft before any leader plans.
 */
export function LaunchShares({
  form,
  chosen,
  onShare,
  onDirector,
  onRetry,
}: {
  form: LaunchForm;
  chosen: LaunchDesignState | null;
  onShare(teamId: string, text: string | null): void;
  onDirector(on: boolean): void;
  onRetry(): void;
}) {
  const ids = useId();
  const rows = chosen?.status === 'ready' && chosen.design ? shareRows(chosen.design) : null;
  return (
    <section className="form-section" aria-labelledby={`${ids}-title`}>
      <h3 className="form-section-title" id={`${ids}-title`}>
        Each team&apos;s share
      </h3>
      <label className="check-row" htmlFor={`${ids}-director`}>
        <input
          id={`${ids}-director`}
          type="checkbox"
          checked={form.director}
          // Named by its label alone; the explanation is its description, not part of its name.
          aria-labelledby={`${ids}-director-label`}
          aria-describedby={`${ids}-director-hint`}
          onChange={(e) => onDirector(e.target.checked)}
        />
        <span>
          <span className="check-label" id={`${ids}-director-label`}>
            Ask the director to draft the shares
          </span>
          <span className="field-hint" id={`${ids}-director-hint`}>
            One call to the design&apos;s director model splits the goal between the teams, orders them in phases and names the
            interfaces between them. You edit and approve its draft (on the mission page, and in the Inbox) before any leader
            plans.
          </span>
        </span>
      </label>

      {form.designId === '' ? (
        <p className="field-hint">Choose a team design to see its teams and write each one&apos;s share.</p>
      ) : !chosen || chosen.id !== form.designId || chosen.status === 'loading' || chosen.status === 'idle' ? (
        <p className="field-hint" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the teams&apos; briefs…
        </p>
      ) : chosen.status === 'error' || !rows ? (
        <div className="inline-error" role="alert">
          <span>Could not load the design&apos;s teams: {chosen.error}</span>
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Try again
          </button>
        </div>
      ) : form.director ? (
        <div className="launch-shares" role="group" aria-label="Teams and phases">
          <p className="field-hint" id={`${ids}-director-note`}>
            The director writes each team&apos;s share, so there is nothing to fill in here; untick the box to write the shares
            yourself (what you typed is kept).
          </p>
          <ul className="launch-share-teams">
            {rows.map((row) => (
              <li key={row.teamId}>
                <strong>{row.name}</strong> <span className="muted">· {phaseText(row)}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <div className="launch-shares" role="group" aria-label="Team shares" aria-describedby={`${ids}-shares-hint`}>
          <p className="field-hint" id={`${ids}-shares-hint`}>
            Pre-filled from each team&apos;s brief. Change a share to say what that team delivers in this mission; only the
            shares you change are sent, the others plan from their brief (so does a share you empty).
          </p>
          {rows.map((row) => {
            const id = `${ids}-share-${row.teamId}`;
            const edited = row.teamId in form.shares && form.shares[row.teamId]!.trim() !== row.briefShare.trim();
            return (
              <div key={row.teamId} className="field launch-share">
                <div className="launch-share-head">
                  <label htmlFor={id} className="field-label">
                    Share of {row.name}
                  </label>
                  <span className="badge" id={`${id}-phase`}>
                    {phaseText(row)}
                  </span>
                  {edited ? (
                    <button
                      type="button"
                      className="inline-link launch-share-reset"
                      aria-label={`Reset the share of ${row.name} to its brief`}
                      onClick={() => onShare(row.teamId, null)}
                    >
                      Reset to brief
                    </button>
                  ) : null}
                </div>
                <textarea
                  id={id}
                  className="input textarea"
                  rows={2}
                  value={shareText(form, row)}
                  placeholder={row.briefShare === '' ? 'This team has no brief: say what it delivers, or it plans from the whole goal.' : undefined}
                  aria-describedby={`${id}-phase`}
                  onChange={(e) => onShare(row.teamId, e.target.value)}
                />
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}
