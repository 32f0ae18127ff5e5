import type { DesignFix, DesignIssue } from '../../../../src/shared/design-rules.js';
import { plural } from '../../lib/format.js';

const SEVERITY_LABEL = { error: 'Problem', warning: 'Warning', info: 'Note' } as const;

/** The rules' findings for the whole design, each with its explanation and fix. */
export function DesignChecks({
  issues,
  onFix,
  onShow,
  onShowTeam,
}: {
  issues: DesignIssue[];
  onFix(fix: DesignFix, issue: DesignIssue): void;
  onShow(agentId: string): void;
  /** Opens a team's brief and phase, for the findings about a team rather than an agent. */
  onShowTeam(teamId: string): void;
}) {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.filter((i) => i.severity === 'warning').length;
  const summary =
    issues.length === 0
      ? 'All checks pass'
      : [
          errors ? plural(errors, 'problem') : '',
          warnings ? plural(warnings, 'warning') : '',
          issues.length - errors - warnings ? plural(issues.length - errors - warnings, 'note') : '',
        ]
          .filter(Boolean)
          .join(', ');
  return (
    <section
      className={`card checks${issues.length === 0 ? ' checks-clean' : ''}`}
      aria-label="Design checks"
    >
      <div className="checks-head">
        <h3 className="card-title">Design checks</h3>
        <span className={`badge ${errors ? 'badge-danger' : warnings ? 'badge-warn' : 'badge-success'}`}>
          {summary}
        </span>
      </div>
      {issues.length > 0 ? (
        <ul className="checks-list">
          {issues.map((issue) => (
            <li key={issue.key} className={`check severity-${issue.severity}`}>
              <span className="check-icon" aria-hidden="true">
                {issue.severity === 'error' ? '✕' : issue.severity === 'warning' ? '!' : 'i'}
              </span>
              <div className="check-body">
                <p className="check-title">
                  <span className="visually-hidden">{SEVERITY_LABEL[issue.severity]}: </span>
                  {issue.title}
                </p>
                <p className="check-detail">{issue.detail}</p>
              </div>
              <div className="check-actions">
                {issue.agentId ? (
                  <button
                    type="button"
                    className="btn btn-small btn-ghost"
                    onClick={() => issue.agentId && onShow(issue.agentId)}
                  >
                    Show
                  </button>
                ) : issue.teamId &&
                  (issue.rule === 'team-without-brief' || issue.rule === 'owned-paths-overlap') ? (
                  <button
                    type="button"
                    className="btn btn-small btn-ghost"
                    onClick={() => issue.teamId && onShowTeam(issue.teamId)}
                  >
                    {issue.rule === 'team-without-brief' ? 'Write the brief' : 'Show'}
                  </button>
                ) : null}
                {issue.fix ? (
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => issue.fix && onFix(issue.fix.fix, issue)}
                  >
                    {issue.fix.label}
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
