import { useEffect, useId, useRef, useState } from 'react';
import { LIMITS } from '../../../../src/shared/team.js';
import { updateTeam, type TeamForm } from '../../domain/design-form.js';
import type { Edit } from './agent-row.js';

/**
 * A team's focus on its card: a few lines to read at a glance, a click (or Enter) away
 * from a text box. Escape or leaving the box shows the lines again; each keystroke is
 * already in the design, so nothing is lost either way.
 */
export function BriefFocus({ team, edit }: { team: TeamForm; edit: Edit }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const show = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const title = team.name.trim() || 'Unnamed team';
  const focus = team.brief.focus;

  useEffect(() => {
    if (editing) {
      const el = box.current;
      el?.focus();
      el?.setSelectionRange(el.value.length, el.value.length);
    } else if (wasEditing.current) show.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (editing) {
    return (
      <div className="team-brief">
        <label htmlFor={`${id}-focus`} className="visually-hidden">
          Brief of {title}
        </label>
        <textarea
          ref={box}
          id={`${id}-focus`}
          className="input textarea team-brief-input"
          rows={3}
          maxLength={LIMITS.briefLength}
          value={focus}
          placeholder="What this team is for, e.g. Infrastructure: database schema, config service, auth middleware"
          onChange={(event) =>
            edit((f) => updateTeam(f, team.id, { brief: { ...team.brief, focus: event.target.value } }), {
              coalesce: `team:${team.id}:focus`,
            })
          }
          onKeyDown={(event) => {
            if (event.key === 'Escape' || (event.key === 'Enter' && (event.ctrlKey || event.metaKey))) {
              event.preventDefault();
              event.stopPropagation();
              setEditing(false);
            }
          }}
          onBlur={() => setEditing(false)}
        />
      </div>
    );
  }

  return (
    <div className="team-brief">
      <button
        ref={show}
        type="button"
        className={`team-brief-show${focus.trim() ? '' : ' is-empty'}`}
        onClick={() => setEditing(true)}
      >
        <span className="visually-hidden">Brief of {title}: </span>
        {focus.trim() || 'Add a brief: what this team is for'}
      </button>
    </div>
  );
}
