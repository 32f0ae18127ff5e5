import { useDraggable, useDroppable } from '@dnd-kit/core';
import { AGENT_ROLES, type AgentRole } from '../../../../src/shared/team.js';
import { ROLE_LABELS } from '../../domain/design-form.js';
import { DUPLICATE_ZONE_ID, paletteDndId, type DragData } from './dnd.js';

const ROLE_HINTS: Record<AgentRole, string> = {
  leader: 'plans, delegates, reviews',
  coder: 'edits code in its worktree',
  reviewer: 'reviews the team’s changes',
  researcher: 'reads code and docs',
};

function PaletteRole({ role }: { role: AgentRole }) {
  const data: DragData = { type: 'palette', role };
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: paletteDndId(role), data });
  return (
    <button
      ref={setNodeRef}
      type="button"
      className={`palette-role role-${role}${isDragging ? ' is-dragging' : ''}`}
      aria-label={`${ROLE_LABELS[role]}: drag onto a team`}
      title={`${ROLE_LABELS[role]}: ${ROLE_HINTS[role]}`}
      {...attributes}
      {...listeners}
    >
      <span className="role-dot" aria-hidden="true" />
      {ROLE_LABELS[role]}
    </button>
  );
}

function DuplicateZone({ active }: { active: boolean }) {
  const data: DragData = { type: 'duplicate' };
  const { setNodeRef, isOver } = useDroppable({ id: DUPLICATE_ZONE_ID, data });
  return (
    <div
      ref={setNodeRef}
      className={`duplicate-zone${active ? ' is-armed' : ''}${isOver ? ' is-over' : ''}`}
      aria-label="Duplicate zone"
    >
      <svg className="duplicate-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
        <path
          d="M11 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h.5"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.4"
        />
      </svg>
      Drop a team here to duplicate it (or hold Alt while dropping it on a team)
    </div>
  );
}

/** Roles to drag onto teams, and the zone that copies a team dropped on it. */
export function Palette({ draggingTeam, onAddTeam }: { draggingTeam: boolean; onAddTeam(): void }) {
  return (
    <div className="palette" role="group" aria-label="Palette">
      <span className="palette-label">Add to a team</span>
      <div className="palette-roles">
        {AGENT_ROLES.map((role) => (
          <PaletteRole key={role} role={role} />
        ))}
      </div>
      <DuplicateZone active={draggingTeam} />
      <button type="button" className="btn btn-small" onClick={onAddTeam}>
        Add team
      </button>
    </div>
  );
}
