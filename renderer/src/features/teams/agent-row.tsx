import { useSortable } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useId, type PointerEventHandler } from 'react';
import { findModel } from '../../../../src/shared/models.js';
import {
  removeAgent,
  ROLE_LABELS,
  RUNTIME_LABELS,
  type AgentForm,
  type DesignForm,
  type TeamForm,
} from '../../domain/design-form.js';
import { moveAgent, placementProblem } from '../../domain/design-ops.js';
import type { EditOptions } from '../../store/index.js';
import { agentDndId, type DragData } from './dnd.js';
import { Menu, type MenuItem } from './menu.js';

export type Edit = (
  update: (form: DesignForm, newId: () => string) => DesignForm,
  options?: EditOptions,
) => void;

interface AgentRowProps {
  agent: AgentForm;
  team: TeamForm;
  index: number;
  form: DesignForm;
  selected: boolean;
  flagged: boolean;
  /** Why this agent's runtime cannot start on this machine; null when it can or nobody knows. */
  runtimeProblem: string | null;
  onSelect(agentId: string): void;
  edit: Edit;
  announce(message: string): void;
}

/** Short model names fit a row: "Opus 4.8" rather than "Claude Opus 4.8". */
export function shortModel(model: string): string {
  return findModel(model)?.label.replace(/^Claude /, '') ?? `${model} (unknown)`;
}

/**
 * A Claude Code agent's badge on its row, and a warning mark when Claude Code cannot start
 * here. Both sit in the row's description, so a screen reader hears what the eye sees;
 * the reason is the mark's tooltip too.
 */
export function RuntimeMarks({
  runtime,
  problem,
}: {
  runtime: AgentForm['runtime'];
  problem: string | null;
}) {
  if (runtime === 'built-in') return null;
  return (
    <>
      <span className="visually-hidden"> · </span>
      <span className="runtime-badge" title="Runs as a Claude Code session">
        {RUNTIME_LABELS[runtime]}
      </span>
      {problem ? (
        <span className="runtime-warning" title={`Cannot start here: ${problem}`}>
          <span aria-hidden="true">⚠</span>
          <span className="visually-hidden">{` Cannot start here: ${problem}`}</span>
        </span>
      ) : null}
    </>
  );
}

export function AgentRow({
  agent,
  team,
  index,
  form,
  selected,
  flagged,
  runtimeProblem,
  onSelect,
  edit,
  announce,
}: AgentRowProps) {
  const data: DragData = { type: 'agent', agentId: agent.id, teamId: team.id };
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } =
    useSortable({
      id: agentDndId(agent.id),
      data,
    });
  const metaId = useId();
  const name = agent.name.trim() || 'Unnamed agent';
  const teamName = (t: TeamForm) => t.name.trim() || 'Unnamed team';

  const moveTo = (target: TeamForm) => {
    edit((f) => moveAgent(f, agent.id, target.id));
    announce(`${name} moved to ${teamName(target)}.`);
  };

  const others = form.teams.filter((t) => t.id !== team.id);
  const items: MenuItem[] = [
    { label: 'Edit details', onSelect: () => onSelect(agent.id) },
    {
      label: 'Move up',
      disabled: index === 0 || agent.role === 'leader' || team.agents[index - 1]?.role === 'leader',
      onSelect: () => edit((f) => moveAgent(f, agent.id, team.id, index - 1)),
    },
    {
      label: 'Move down',
      disabled: index >= team.agents.length - 1 || agent.role === 'leader',
      onSelect: () => edit((f) => moveAgent(f, agent.id, team.id, index + 1)),
    },
    ...others.map((target, i) => {
      const problem = placementProblem(form, agent.role, target.id, agent.id);
      return {
        label: `Move to ${teamName(target)}${problem ? ' (has a leader)' : ''}`,
        disabled: problem !== null,
        separated: i === 0,
        onSelect: () => moveTo(target),
      };
    }),
    {
      label: 'Remove',
      tone: 'danger' as const,
      separated: true,
      onSelect: () => {
        edit((f) => removeAgent(f, team.id, agent.id));
        announce(`${name} removed from ${teamName(team)}. Press Ctrl+Z to undo.`);
      },
    },
  ];

  const budget = agent.budgetUsd.trim();
  return (
    <li
      ref={setNodeRef}
      className={`agent-row role-${agent.role}${selected ? ' is-selected' : ''}${isDragging ? ' is-dragging' : ''}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      // The whole row can be grabbed with a pointer; the keyboard uses the handle only,
      // so Enter on the name still selects instead of starting a drag.
      onPointerDown={listeners?.onPointerDown as PointerEventHandler<HTMLLIElement> | undefined}
      data-agent={agent.name}
    >
      <button
        ref={setActivatorNodeRef}
        type="button"
        className="drag-handle"
        aria-label={`Drag ${name}`}
        {...attributes}
        {...listeners}
      >
        <span aria-hidden="true">⠿</span>
      </button>
      <button
        type="button"
        className="agent-select"
        aria-label={name}
        aria-describedby={metaId}
        aria-pressed={selected}
        onClick={() => onSelect(agent.id)}
      >
        <span className="agent-name">
          {name}
          {flagged ? (
            <span className="agent-flag" title="See the design checks" aria-hidden="true">
              !
            </span>
          ) : null}
        </span>
        <span id={metaId} className="agent-meta">
          {ROLE_LABELS[agent.role]} · {shortModel(agent.model)}
          {budget ? ` · $${budget.replace(/^\$/, '')}` : ''}
          <RuntimeMarks runtime={agent.runtime} problem={runtimeProblem} />
        </span>
      </button>
      <Menu label={`Actions for ${name}`} items={items} />
    </li>
  );
}
