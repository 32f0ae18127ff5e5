import { useEffect, useId, useState } from 'react';
import type { PullRequestOptionsView, PullRequestView } from '../../../../src/shared/pull-request.js';
import { useStore } from '../../store/index.js';
import './pull-request-panel.css';

const VIA_LABEL = { api: "GitHub's API", gh: 'the gh command' } as const;

/**
 * Ending a mission with a pull request instead of a local merge: the mission branch pushed
 * to a remote of its repository and a pull request opened with its result. Shown on the
 * final-merge item of the Inbox and on a finished mission whose branch was kept; once one
 * is opened it shows its link (which opens in the system browser).
 */
export function PullRequestPanel({ missionId }: { missionId: string }) {
  const state = useStore((s) => s.pullRequests[missionId]);
  const load = useStore((s) => s.loadPullRequestOptions);
  const open = useStore((s) => s.openPullRequest);
  // The mission changing (its final merge answered elsewhere) may change what is allowed.
  const missionUpdated = useStore((s) => s.missionDetails[missionId]?.view?.updatedAt);
  useEffect(() => {
    void load(missionId);
  }, [load, missionId, missionUpdated]);

  const options = state?.options ?? null;
  if (!options) {
    if (state?.status === 'error') {
      return (
        <p className="inline-error" role="alert">
          Could not check for pull requests: {state.error}
        </p>
      );
    }
    return null;
  }
  return (
    <PullRequestPanelView
      options={options}
      opening={state?.opening ?? false}
      error={state?.openError ?? null}
      onOpen={(request) => void open(missionId, request)}
    />
  );
}

export interface PullRequestPanelViewProps {
  options: PullRequestOptionsView;
  opening: boolean;
  error: string | null;
  onOpen(request: { remote: string; title?: string; draft: boolean }): void;
}

/** The panel's markup, apart from its state so tests can render each case. */
export function PullRequestPanelView({ options, opening, error, onOpen }: PullRequestPanelViewProps) {
  const ids = useId();
  const preferred = options.remotes.find((r) => r.name === 'origin') ?? options.remotes.find((r) => r.github) ?? options.remotes[0];
  const [remote, setRemote] = useState(preferred?.name ?? '');
  const [draft, setDraft] = useState(false);
  const [title, setTitle] = useState('');
  const opened = options.pullRequests;
  if (!options.allowed && opened.length === 0) return null;
  return (
    <section className="card pull-request-panel" aria-labelledby={`${ids}-title`}>
      <h4 id={`${ids}-title`} className="inbox-section-title">
        Pull request
      </h4>
      {opened.length > 0 ? (
        <ul className="pull-request-list">
          {opened.map((pr) => (
            <li key={pr.url}>
              <PullRequestLink pr={pr} />
            </li>
          ))}
        </ul>
      ) : null}
      {options.allowed && opened.length === 0 ? (
        options.remotes.length === 0 ? (
          <p className="muted">
            The repository has no remote to push to. Add one (<code>git remote add origin URL</code>) to open a pull request.
          </p>
        ) : (
          <form
            className="pull-request-form"
            onSubmit={(event) => {
              event.preventDefault();
              onOpen({ remote, draft, ...(title.trim() ? { title: title.trim() } : {}) });
            }}
          >
            <div className="field">
              <label htmlFor={`${ids}-pr-title`} className="field-label">
                Title
              </label>
              <input
                id={`${ids}-pr-title`}
                className="input"
                type="text"
                maxLength={256}
                placeholder="The mission's name"
                value={title}
                onChange={(event) => setTitle(event.target.value)}
              />
            </div>
            <div className="pull-request-controls">
              <div className="field">
                <label htmlFor={`${ids}-remote`} className="field-label">
                  Remote
                </label>
                <select id={`${ids}-remote`} className="input" value={remote} onChange={(event) => setRemote(event.target.value)}>
                  {options.remotes.map((r) => (
                    <option key={r.name} value={r.name}>
                      {r.name} — {r.github ?? r.url}
                    </option>
                  ))}
                </select>
              </div>
              <label className="pull-request-draft">
                <input type="checkbox" checked={draft} onChange={(event) => setDraft(event.target.checked)} /> Draft
              </label>
              <button type="submit" className="btn" disabled={opening || remote === ''}>
                {opening ? 'Pushing and opening…' : 'Push and open pull request'}
              </button>
            </div>
          </form>
        )
      ) : null}
      {options.allowed && opened.length === 0 ? (
        <p className="muted field-hint">
          {options.via
            ? `Through ${VIA_LABEL[options.via]}. The branch is pushed with your git credentials; the final merge is then answered by the pull request.`
            : `Cannot open one yet: ${options.viaProblem ?? 'set a GitHub token under Settings > GitHub'}.`}
        </p>
      ) : null}
      {error ? (
        <div className="inline-error" role="alert">
          {error}
        </div>
      ) : null}
    </section>
  );
}

/** A pull request's link: an ordinary external link, which the app opens in the system browser. */
function PullRequestLink({ pr }: { pr: PullRequestView }) {
  return (
    <span>
      <a href={pr.url} target="_blank" rel="noopener noreferrer">
        Pull request #{pr.number}
      </a>{' '}
      <span className="muted">
        {pr.draft ? 'draft, ' : ''}
        {pr.branch} → {pr.base} on {pr.remote}, via {VIA_LABEL[pr.via]}
      </span>
    </span>
  );
}
