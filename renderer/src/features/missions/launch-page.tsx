import { useEffect, useId, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { emptyLaunchForm, type LaunchField, type LaunchForm } from '../../domain/launch-form.js';
import { plural } from '../../lib/format.js';
import { useStore } from '../../store/index.js';
import { LaunchShares } from './launch-shares.js';
import { ProjectMemoryNotice } from './project-memory-notice.js';
import { Field, MoneyInput } from '../../ui/field.js';
import { PageHeader } from '../../ui/page-header.js';
import { DESIGN_TEMPLATES, TEMPLATE_CHOICE_PREFIX, templateOfChoice } from '../../domain/team-templates.js';

/** The engine's message for a field, under it, announced when it appears. */
function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <div id={id} className="field-error" role="alert">
      {message}
    </div>
  );
}

export function LaunchPage() {
  const designs = useStore((s) => s.teams);
  const designsStatus = useStore((s) => s.teamsStatus);
  const launching = useStore((s) => s.launching);
  const errors = useStore((s) => s.launchErrors);
  const generalError = useStore((s) => s.launchError);
  const chosen = useStore((s) => s.launchDesign);
  const { launchMission, clearLaunchErrors, navigate, loadTeams, loadLaunchDesign } = useStore(
    useShallow((s) => ({
      launchMission: s.launchMission,
      clearLaunchErrors: s.clearLaunchErrors,
      navigate: s.navigate,
      loadTeams: s.loadTeams,
      loadLaunchDesign: s.loadLaunchDesign,
    })),
  );
  const [form, setForm] = useState<LaunchForm>(() => emptyLaunchForm());
  const ids = {
    design: useId(),
    goal: useId(),
    name: useId(),
    repo: useId(),
    branch: useId(),
    budget: useId(),
    commands: useId(),
    skip: useId(),
    stray: useId(),
  };
  const errorId = (field: LaunchField) => `${ids.design}-${field}-error`;
  const describedBy = (field: LaunchField, hint?: string) =>
    [errors[field] ? errorId(field) : '', hint ?? ''].filter(Boolean).join(' ') || undefined;

  useEffect(() => {
    if (designsStatus === 'idle') void loadTeams();
  }, [designsStatus, loadTeams]);
  // Stale errors from an earlier visit would point at fields the person has not touched.
  useEffect(() => clearLaunchErrors, [clearLaunchErrors]);
  // One design is the obvious choice: it is chosen until the person picks another.
  const designId = form.designId || (designs.length === 1 ? designs[0]!.id : '');

  const update = (patch: Partial<LaunchForm>) => setForm((f) => ({ ...f, ...patch }));
  const design = designs.find((d) => d.id === designId);
  const template = templateOfChoice(designId);
  // The whole design (briefs, phases) pre-fills the shares; a saved edit of it (a new revision) reloads it.
  // A template never changes: it is laid out once per choice.
  const revision = design?.revision ?? (template ? 1 : undefined);
  useEffect(() => {
    if (designId === '' || revision === undefined) return;
    // Loading, refused (the person retries), or as new as the list says: nothing to do.
    if (chosen?.id === designId && (chosen.status !== 'ready' || (chosen.design?.revision ?? 0) >= revision)) return;
    void loadLaunchDesign(designId);
  }, [designId, revision, chosen, loadLaunchDesign]);
  const setShare = (teamId: string, text: string | null) =>
    setForm((f) => {
      const { [teamId]: _old, ...rest } = f.shares;
      void _old;
      return { ...f, shares: text === null ? rest : { ...rest, [teamId]: text } };
    });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void launchMission({ ...form, designId });
  };

  return (
    <div className="page page-narrow">
      <button type="button" className="back-link" onClick={() => navigate({ area: 'missions' })}>
        ← Missions
      </button>
      <PageHeader
        title="Launch a mission"
        subtitle="The leaders plan first; you approve the plan before any coder starts, unless you skip that step."
      />

      {generalError ? (
        <div className="form-error" role="alert">
          {generalError}
        </div>
      ) : null}

      <form className="card launch-form" onSubmit={submit} noValidate aria-label="Launch a mission">
        <section className="form-section" aria-labelledby={`${ids.design}-what`}>
          <h3 className="form-section-title" id={`${ids.design}-what`}>
            Who and what
          </h3>
          <Field
            id={ids.design}
            label="Team design"
            hint={
              design
                ? `${plural(design.teamCount, 'team')} · ${plural(design.agentCount, 'agent')}`
                : template
                  ? `${template.summary} Launching saves it as a design you can change in Teams.`
                  : undefined
            }
          >
            <select
              id={ids.design}
              className="input"
              value={designId}
              aria-invalid={errors.designId ? true : undefined}
              aria-describedby={describedBy('designId')}
              // Another design has other teams: shares typed for this one do not carry over.
              onChange={(e) => update({ designId: e.target.value, shares: {} })}
            >
              <option value="">{designsStatus === 'loading' ? 'Loading designs…' : 'Choose a design or a template'}</option>
              {designs.length > 0 ? (
                <optgroup label="Saved designs">
                  {designs.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name}
                    </option>
                  ))}
                </optgroup>
              ) : null}
              <optgroup label="Templates">
                {DESIGN_TEMPLATES.map((t) => (
                  <option key={t.id} value={`${TEMPLATE_CHOICE_PREFIX}${t.id}`}>
                    {t.label}
                  </option>
                ))}
              </optgroup>
            </select>
            <FieldError id={errorId('designId')} message={errors.designId} />
            {designsStatus === 'ready' && designs.length === 0 ? (
              <div className="field-hint">
                No saved design yet: launch from a template, or{' '}
                <button type="button" className="inline-link" onClick={() => navigate({ area: 'teams', design: 'new' })}>
                  design a team
                </button>
                .
              </div>
            ) : null}
          </Field>
          <Field id={ids.goal} label="Goal" hint="What the teams should achieve. Leaders read it to plan; be as specific as you would be with people.">
            <textarea
              id={ids.goal}
              className="input textarea"
              rows={5}
              value={form.goal}
              aria-invalid={errors.goal ? true : undefined}
              aria-describedby={describedBy('goal')}
              placeholder="e.g. Add a command-line todo app with add, list and done commands, with tests."
              onChange={(e) => update({ goal: e.target.value })}
            />
            <FieldError id={errorId('goal')} message={errors.goal} />
          </Field>
          <Field id={ids.name} label="Mission name (optional)" hint="Defaults to the design's name and the goal's first line.">
            <input id={ids.name} className="input" value={form.name} maxLength={120} onChange={(e) => update({ name: e.target.value })} />
          </Field>
        </section>

        <LaunchShares
          form={{ ...form, designId }}
          chosen={chosen}
          onShare={setShare}
          onDirector={(director) => update({ director })}
          onRetry={() => void loadLaunchDesign(designId)}
        />

        <section className="form-section" aria-labelledby={`${ids.design}-where`}>
          <h3 className="form-section-title" id={`${ids.design}-where`}>
            Where
          </h3>
          <div className="form-stack">
            <Field
              id={ids.repo}
              label="Repository folder"
              hint="The path of a git repository on the computer running the engine. Coders work in worktrees beside it; your checkout is untouched until the final merge."
            >
              <input
                id={ids.repo}
                className="input mono-input"
                value={form.repoPath}
                spellCheck={false}
                autoComplete="off"
                placeholder="/home/you/projects/app"
                aria-invalid={errors.repoPath ? true : undefined}
                aria-describedby={describedBy('repoPath')}
                onChange={(e) => update({ repoPath: e.target.value })}
              />
              <FieldError id={errorId('repoPath')} message={errors.repoPath} />
              <ProjectMemoryNotice repoPath={form.repoPath} />
            </Field>
            <Field id={ids.branch} label="Base branch" className="branch-field" hint="Work starts from it and merges back into it.">
              <input
                id={ids.branch}
                className="input mono-input"
                value={form.baseBranch}
                spellCheck={false}
                autoComplete="off"
                aria-invalid={errors.baseBranch ? true : undefined}
                aria-describedby={describedBy('baseBranch')}
                onChange={(e) => update({ baseBranch: e.target.value })}
              />
              <FieldError id={errorId('baseBranch')} message={errors.baseBranch} />
            </Field>
          </div>
        </section>

        <section className="form-section" aria-labelledby={`${ids.design}-limits`}>
          <h3 className="form-section-title" id={`${ids.design}-limits`}>
            Limits and permissions
          </h3>
          <div className="form-row">
            <Field id={ids.budget} label="Budget (USD)" className="budget-field" hint="The mission stops and asks you when it would go over. Empty: no limit.">
              <MoneyInput id={ids.budget} value={form.budgetUsd} onChange={(budgetUsd) => update({ budgetUsd })} />
              <FieldError id={errorId('budgetUsd')} message={errors.budgetUsd} />
            </Field>
            <Field
              id={ids.commands}
              label="Allowed commands"
              className="grow"
              hint="One per line, e.g. npm test. Agents may run these (and the team's own) without asking; anything else is escalated to you."
            >
              <textarea
                id={ids.commands}
                className="input textarea mono-input"
                rows={3}
                value={form.allowedCommands}
                spellCheck={false}
                aria-describedby={describedBy('allowedCommands')}
                onChange={(e) => update({ allowedCommands: e.target.value })}
              />
              <FieldError id={errorId('allowedCommands')} message={errors.allowedCommands} />
            </Field>
          </div>
          <label className="check-row" htmlFor={ids.skip}>
            <input
              id={ids.skip}
              type="checkbox"
              checked={form.skipPlanApproval}
              onChange={(e) => update({ skipPlanApproval: e.target.checked })}
            />
            <span>
              <span className="check-label">Skip plan approval</span>
              <span className="field-hint">Coders start as soon as the leaders have planned, without waiting for you.</span>
            </span>
          </label>
          <label className="check-row" htmlFor={ids.stray}>
            <input
              id={ids.stray}
              type="checkbox"
              checked={form.askLeaderOnStrayWrites}
              onChange={(e) => update({ askLeaderOnStrayWrites: e.target.checked })}
            />
            <span>
              <span className="check-label">Let leaders allow writes outside a task&apos;s files</span>
              <span className="field-hint">
                A coder that writes outside the paths its task owns asks its leader, who allows or refuses it. Otherwise such a write is refused, naming whose path it is.
              </span>
            </span>
          </label>
        </section>

        <div className="form-actions">
          <button type="button" className="btn" onClick={() => navigate({ area: 'missions' })}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={launching}>
            {launching ? 'Checking the repository…' : 'Launch mission'}
          </button>
        </div>
      </form>
    </div>
  );
}
