import { useEffect, useId, useRef, useState } from 'react';
import { boardOrder, type DesignForm, type TeamForm } from '../../domain/design-form.js';
import { afterProblem, formPhases, phaseLabel, setAfter, toggledAfter } from '../../domain/design-phases.js';
import type { Edit } from './agent-row.js';

const nameOf = (team: Pick<TeamForm, 'name'>) => team.name.trim() || 'Unnamed team';

/**
 * "Starts after": one checkbox per other team. A tick that would make teams wait on each
 * other in a circle is refused: the box stays as it was and the reason shows below it,
 * so nothing the engine would refuse ever reaches the design.
 */
export function AfterChecklist({
  form,
  team,
  edit,
  announce,
  autoFocus = false,
}: {
  form: DesignForm;
  team: TeamForm;
  edit: Edit;
  announce(message: string): void;
  /** Focus the first box on mount (opened from the card menu). */
  autoFocus?: boolean;
}) {
  const id = useId();
  const [refused, setRefused] = useState<string | null>(null);
  const list = useRef<HTMLFieldSetElement>(null);
  const others = boardOrder(form).filter((t) => t.id !== team.id);
  const phases = formPhases(form);
  const title = nameOf(team);

  useEffect(() => {
    if (autoFocus) list.current?.querySelector<HTMLInputElement>('input[type="checkbox"]')?.focus();
  }, [autoFocus]);

  const toggle = (other: TeamForm, on: boolean) => {
    const next = toggledAfter(form, team.id, other.id, on);
    const problem = afterProblem(form, team.id, next);
    if (problem) {
      setRefused(problem);
      announce(`Refused: ${problem}.`);
      return;
    }
    setRefused(null);
    edit((f) => setAfter(f, team.id, next));
    announce(
      on ? `${title} now starts after ${nameOf(other)}.` : `${title} no longer waits for ${nameOf(other)}.`,
    );
  };

  return (
    <fieldset ref={list} className="after-checklist" aria-describedby={refused ? `${id}-refused` : undefined}>
      <legend className="after-legend">{title} starts after</legend>
      {others.length === 0 ? <p className="muted after-none">There are no other teams to wait for.</p> : null}
      {others.map((other) => (
        <label key={other.id} className="after-option">
          <input
            type="checkbox"
            aria-label={nameOf(other)}
            checked={team.after.includes(other.id)}
            onChange={(event) => toggle(other, event.target.checked)}
            onKeyDown={(event) => {
              // Enter ticks a box too, as it presses a button: one key for every control here.
              if (event.key === 'Enter') {
                event.preventDefault();
                toggle(other, !team.after.includes(other.id));
              }
            }}
          />
          <span>{nameOf(other)}</span>
          <span className="muted after-phase" aria-hidden="true">
            Phase {phases.get(other.id) ?? '?'}
          </span>
        </label>
      ))}
      {refused ? (
        <p id={`${id}-refused`} className="after-refused" role="alert">
          Not changed: {refused}.
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * The card's phase line ("Phase 2 · after Infra, Workers") with the control that opens
 * the "starts after" checklist. `open` is owned by the card, so its menu can open it too.
 */
export function TeamPhase({
  form,
  team,
  open,
  focusOnOpen,
  onOpenChange,
  edit,
  announce,
}: {
  form: DesignForm;
  team: TeamForm;
  open: boolean;
  focusOnOpen: boolean;
  onOpenChange(open: boolean): void;
  edit: Edit;
  announce(message: string): void;
}) {
  const id = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const phase = formPhases(form).get(team.id);
  return (
    <div className="team-phase">
      <div className="team-phase-line">
        <span className={`team-phase-label phase-${Math.min(phase ?? 0, 6)}`} data-testid="team-phase">
          {phaseLabel(form, team)}
        </span>
        <button
          ref={toggle}
          type="button"
          className="btn btn-small btn-ghost team-phase-toggle"
          aria-expanded={open}
          aria-controls={open ? `${id}-after` : undefined}
          onClick={() => onOpenChange(!open)}
        >
          Starts after…
        </button>
      </div>
      {open ? (
        <div
          id={`${id}-after`}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.stopPropagation();
              onOpenChange(false);
              toggle.current?.focus();
            }
          }}
        >
          <AfterChecklist form={form} team={team} edit={edit} announce={announce} autoFocus={focusOnOpen} />
        </div>
      ) : null}
    </div>
  );
}
