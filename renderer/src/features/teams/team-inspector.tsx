import { useId } from 'react';
import type { DesignFix, DesignIssue } from '../../../../src/shared/design-rules.js';
import { LIMITS, repoPathSchema } from '../../../../src/shared/team.js';
import { updateTeam, type DesignForm, type TeamForm } from '../../domain/design-form.js';
import { applyFix } from '../../domain/design-ops.js';
import { phaseLabel, setAfter } from '../../domain/design-phases.js';
import { Field } from '../../ui/field.js';
import type { Edit } from './agent-row.js';
import { AfterChecklist } from './team-phase.js';

/** Each typed line that is not a path inside the repository, with the schema's reason. */
function pathProblems(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .flatMap(({ line, n }) => {
      const parsed = repoPathSchema.safeParse(line);
      return parsed.success ? [] : [`Line ${n}: ${parsed.error.issues[0]?.message ?? 'not a path'}`];
    });
}

/**
 * The selected team's brief and phase: its focus, the paths it owns (one per line) and
 * the teams it starts after. Leaders plan from the brief and read the other teams' briefs.
 */
export function TeamInspector({
  form,
  team,
  issues,
  edit,
  onClose,
  announce,
}: {
  form: DesignForm;
  team: TeamForm;
  issues: DesignIssue[];
  edit: Edit;
  onClose(): void;
  announce(message: string): void;
}) {
  const id = useId();
  const title = team.name.trim() || 'Unnamed team';
  const problems = pathProblems(team.brief.owns);
  const fix = (value: DesignFix) => edit((f, newId) => applyFix(f, value, newId));

  return (
    <aside className="card inspector team-inspector" aria-label="Team details">
      <div className="inspector-head">
        <div className="inspector-heading">
          <div>
            <h3 className="inspector-title">{title}</h3>
            <p className="muted inspector-sub">{phaseLabel(form, team)}</p>
          </div>
        </div>
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          aria-label="Close team details"
          onClick={onClose}
        >
          <span aria-hidden="true">✕</span>
        </button>
      </div>

      {issues.map((issue) => (
        <div key={issue.key} className={`inspector-issue severity-${issue.severity}`} role="note">
          <strong>{issue.title}.</strong> {issue.detail}
          {issue.fix ? (
            <div>
              <button type="button" className="btn btn-small" onClick={() => issue.fix && fix(issue.fix.fix)}>
                {issue.fix.label}
              </button>
            </div>
          ) : null}
        </div>
      ))}

      <div className="inspector-fields">
        <Field
          id={`${id}-focus`}
          label="Focus"
          hint="What this team is for, in a few lines. Its leader plans from it; the other leaders read it."
        >
          <textarea
            id={`${id}-focus`}
            className="input textarea"
            rows={4}
            maxLength={LIMITS.briefLength}
            value={team.brief.focus}
            placeholder="e.g. Infrastructure: database schema, config service, auth middleware"
            onChange={(event) =>
              edit((f) => updateTeam(f, team.id, { brief: { ...team.brief, focus: event.target.value } }), {
                coalesce: `team:${team.id}:focus`,
              })
            }
          />
        </Field>
        <Field
          id={`${id}-owns`}
          label="Owned paths"
          hint={
            problems.length > 0 ? (
              <span className="field-error" role="alert">
                {problems.join('; ')}
              </span>
            ) : (
              'One path per line, relative to the repository (e.g. db/). Optional; other teams of the same phase should not own them too.'
            )
          }
        >
          <textarea
            id={`${id}-owns`}
            className="input textarea mono"
            rows={3}
            value={team.brief.owns}
            aria-invalid={problems.length > 0}
            onChange={(event) =>
              edit((f) => updateTeam(f, team.id, { brief: { ...team.brief, owns: event.target.value } }), {
                coalesce: `team:${team.id}:owns`,
              })
            }
          />
        </Field>
        <AfterChecklist form={form} team={team} edit={edit} announce={announce} />
        {team.after.length > 0 ? (
          <div>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                edit((f) => setAfter(f, team.id, []));
                announce(`${title} starts at once.`);
              }}
            >
              Start at once
            </button>
          </div>
        ) : null}
      </div>
    </aside>
  );
}
