import { useEffect, useId, useState, type ReactNode } from 'react';
import type { MissionResult, MissionResultTeam } from '../../../../src/shared/mission-result.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { formatDuration, plural } from '../../lib/format.js';
import { useStore } from '../../store/index.js';
import { MissionStateBadge } from './state-badge.js';
import './mission-result.css';

const ESCALATION_WORDS: Record<string, string> = {
  approve: 'approved',
  deny: 'denied',
  reply: 'answered',
};

function duration(ms: number | null): string {
  return ms === null ? '—' : formatDuration(ms / 1000);
}

/**
 * A finished mission's result, read from the ledger (`missions:get-result`): how it ended,
 * what each team delivered in its leader's words, the files, the commits per coder, cost
 * and time per team and task, the final tests, and the escalations with who decided them.
 * `children` is where the pull-request panel goes.
 */
export function MissionResultSection({ missionId, children }: { missionId: string; children?: ReactNode }) {
  const state = useStore((s) => s.missionResults[missionId]);
  const load = useStore((s) => s.loadMissionResult);
  useEffect(() => {
    void load(missionId);
  }, [load, missionId]);

  if (!state || (state.status === 'loading' && !state.data)) {
    return (
      <div className="card placeholder" role="status">
        <span className="spinner" aria-hidden="true" /> Reading the mission&apos;s result…
      </div>
    );
  }
  if (!state.data) {
    return (
      <div className="card inline-error" role="alert">
        <span>Could not read the mission&apos;s result: {state.error}</span>
        <button type="button" className="btn btn-small" onClick={() => void load(missionId)}>
          Try again
        </button>
      </div>
    );
  }
  return <MissionResultView result={state.data}>{children}</MissionResultView>;
}

/** The result itself, from its data alone. */
export function MissionResultView({ result, children }: { result: MissionResult; children?: ReactNode }) {
  const headingId = useId();
  const merged = result.tasks.filter((t) => t.state === 'merged').length;
  return (
    <section className="mission-result" aria-labelledby={headingId} data-result={result.resultKind ?? 'none'}>
      <div className={`card result-head result-head-${result.resultKind ?? 'none'}`}>
        <div className="result-title-row">
          <h3 className="section-title" id={headingId}>
            Result
          </h3>
          <MissionStateBadge mission={result} />
        </div>
        <p className="result-headline">{result.headline}</p>
        {result.outcome ? <p className="muted">{result.outcome}</p> : null}
        {result.pullRequestUrl ? (
          <p>
            Pull request:{' '}
            <a href={result.pullRequestUrl} target="_blank" rel="noreferrer">
              {result.pullRequestUrl}
            </a>
          </p>
        ) : null}
        <dl className="result-figures">
          <div>
            <dt>Cost</dt>
            <dd>{formatUsd(result.cost.totalNanoUsd)}</dd>
          </div>
          <div>
            <dt>Time</dt>
            <dd>{duration(result.durationMs)}</dd>
          </div>
          <div>
            <dt>Tasks merged</dt>
            <dd>
              {merged}/{result.tasks.length}
            </dd>
          </div>
          <div>
            <dt>Files</dt>
            <dd>{result.files.length}</dd>
          </div>
          <div>
            <dt>Commits</dt>
            <dd>{result.commits.length}</dd>
          </div>
          <div>
            <dt>Model calls</dt>
            <dd>{result.cost.calls}</dd>
          </div>
        </dl>
        {children}
      </div>

      <div className="result-teams">
        {result.teams.map((team) => (
          <TeamResult key={team.id} team={team} result={result} />
        ))}
      </div>

      <Collapsible title={`Files changed (${result.files.length})`} open={result.files.length <= 20}>
        {result.files.length === 0 ? (
          <p className="muted">No file changed.</p>
        ) : (
          <ul className="result-files" aria-label="Files changed">
            {result.files.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code>{' '}
                {f.additions !== null || f.deletions !== null ? (
                  <span
                    className="result-lines"
                    aria-label={`${f.additions ?? 0} lines added, ${f.deletions ?? 0} deleted`}
                  >
                    <span className="result-add">+{f.additions ?? 0}</span>{' '}
                    <span className="result-del">−{f.deletions ?? 0}</span>
                  </span>
                ) : null}{' '}
                <span className="muted">{f.teams.join(', ')}</span>
              </li>
            ))}
          </ul>
        )}
      </Collapsible>

      <Collapsible title={`Commits per coder (${result.commits.length})`} open>
        {result.commitsSource === 'tasks' ? (
          <p className="muted">
            The mission&apos;s branches are gone: each merged task&apos;s merge commit stands for its work.
          </p>
        ) : null}
        <table className="table result-table" aria-label="Commits per coder">
          <thead>
            <tr>
              <th scope="col">Coder</th>
              <th scope="col">Team</th>
              <th scope="col" className="num">
                Commits
              </th>
              <th scope="col" className="num">
                Tasks merged
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {result.coders.map((c) => (
              <tr key={c.agentId}>
                <th scope="row">{c.name}</th>
                <td>{result.teams.find((t) => t.id === c.teamId)?.name ?? c.teamId}</td>
                <td className="num">{c.commits}</td>
                <td className="num">{c.tasksMerged}</td>
                <td className="num">{formatUsd(c.costNanoUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {result.commits.length > 0 ? (
          <ul className="result-commits" aria-label="Commits">
            {result.commits.map((c) => (
              <li key={c.sha}>
                <code className="mono-small">{c.sha.slice(0, 10)}</code> {c.subject}{' '}
                <span className="muted">— {c.author}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </Collapsible>

      <Collapsible
        title="Tests on the mission branch"
        open={result.finalTests !== null && !result.finalTests.passed}
      >
        {result.finalTests ? (
          <div className="result-tests">
            <p>
              <code>{result.finalTests.command}</code>{' '}
              {result.finalTests.passed ? (
                <span className="badge badge-success">passed</span>
              ) : (
                <span className="badge badge-danger">
                  failed (exit {result.finalTests.exitCode ?? 'none'})
                </span>
              )}
            </p>
            <pre className="result-output" tabIndex={0}>
              {result.finalTests.truncated ? '… (the start was cut)\n' : ''}
              {result.finalTests.output || '(no output)'}
            </pre>
          </div>
        ) : (
          <p className="muted">No tests ran on the mission branch before the final merge.</p>
        )}
      </Collapsible>

      <Collapsible title={`Escalations (${result.escalations.length})`} open={false}>
        {result.escalations.length === 0 ? (
          <p className="muted">Nothing was escalated.</p>
        ) : (
          <table className="table result-table" aria-label="Escalations">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Decision</th>
                <th scope="col">By</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {result.escalations.map((e) => (
                <tr key={e.id}>
                  <th scope="row">{e.title}</th>
                  <td>{e.decision ? (ESCALATION_WORDS[e.decision] ?? e.decision) : e.state}</td>
                  <td>{e.decidedBy ?? '—'}</td>
                  <td>{e.comment ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Collapsible>
    </section>
  );
}

function TeamResult({ team, result }: { team: MissionResultTeam; result: MissionResult }) {
  const tasks = result.tasks.filter((t) => t.teamId === team.id);
  return (
    <article className="card result-team" aria-label={`Team ${team.name}`}>
      <header className="result-team-head">
        <h4 className="card-title">{team.name}</h4>
        <span className="muted nowrap">
          {team.tasksMerged}/{plural(team.tasksTotal, 'task')} merged · {formatUsd(team.costNanoUsd)} ·{' '}
          {duration(team.durationMs)}
        </span>
      </header>
      {team.summary ? (
        <div className="result-summary">
          <div className="fact-label">
            {team.summarySource === 'leader' ? "Leader's summary" : "From its tasks' summaries"}
          </div>
          <p className="result-summary-text">{team.summary}</p>
          {team.summaryNote ? <p className="muted result-note">{team.summaryNote}</p> : null}
        </div>
      ) : (
        <p className="muted">No summary: the team was not merged.</p>
      )}
      <table className="table result-table" aria-label={`Tasks of ${team.name}`}>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">State</th>
            <th scope="col">Coder</th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id}>
              <th scope="row" title={t.submissionSummary ?? undefined}>
                {t.title}
              </th>
              <td>{t.state.replace(/_/g, ' ')}</td>
              <td>{t.assignee ?? '—'}</td>
              <td className="num">{formatUsd(t.costNanoUsd)}</td>
              <td className="num">{duration(t.durationMs)}</td>
            </tr>
          ))}
          <tr className="muted">
            <th scope="row">Planning, reviews and merges</th>
            <td />
            <td />
            <td className="num">{formatUsd(team.untaskedCostNanoUsd)}</td>
            <td />
          </tr>
        </tbody>
      </table>
    </article>
  );
}

function Collapsible({ title, open, children }: { title: string; open: boolean; children: ReactNode }) {
  const [shown, setShown] = useState(open);
  const id = useId();
  return (
    <div className="card result-part">
      <button
        type="button"
        className="result-toggle"
        aria-expanded={shown}
        aria-controls={id}
        onClick={() => setShown((v) => !v)}
      >
        <span aria-hidden="true">{shown ? '▾' : '▸'}</span> {title}
      </button>
      <div id={id} hidden={!shown}>
        {children}
      </div>
    </div>
  );
}
