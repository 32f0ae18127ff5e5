import { SortableContext, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { useId, useState } from 'react';
import type { RuntimeStatus } from '../../../../src/shared/contract/runtimes.js';
import type { DesignEstimate } from '../../../../src/shared/design-estimate.js';
import {
  MAX_RECOMMENDED_TEAM_SIZE,
  planSplit,
  type DesignIssue,
} from '../../../../src/shared/design-rules.js';
import { formatUsd } from '../../../../src/shared/money.js';
import {
  boardOrder,
  removeTeam,
  teamHasLeader,
  updateTeam,
  type DesignForm,
  type TeamForm,
} from '../../domain/design-form.js';
import { addAgentAt, duplicateTeam, moveTeam, splitTeam } from '../../domain/design-ops.js';
import { formPhases, setAfter } from '../../domain/design-phases.js';
import { plural } from '../../lib/format.js';
import { runtimeProblem } from '../../store/index.js';
import { MoneyInput } from '../../ui/field.js';
import { AgentRow, type Edit } from './agent-row.js';
import { agentDndId, teamDndId, type DragData } from './dnd.js';
import { Menu, type MenuItem } from './menu.js';
import { BriefFocus } from './team-brief.js';
import { TeamPhase } from './team-phase.js';
import { teamTitle } from '../../../../src/shared/team-label.js';

interface TeamCardProps {
  team: TeamForm;
  /** Position in board order. */
  index: number;
  form: DesignForm;
  issues: DesignIssue[];
  estimate: DesignEstimate['teams'][number] | undefined;
  selectedAgentId: string | null;
  /** `runtimes:get-status`; empty while unknown. */
  runtimes: readonly RuntimeStatus[];
  /** Set while something is dragged over this card that it cannot take (a second leader). */
  refusing: boolean;
  onSelect(agentId: string): void;
  /** True while this team is open in the team inspector. */
  teamSelected: boolean;
  /** Opens the team's brief and phase in the inspector. */
  onSelectTeam(teamId: string): void;
  edit: Edit;
  announce(message: string): void;
}

export function TeamCard({
  team,
  index,
  form,
  issues,
  estimate,
  selectedAgentId,
  runtimes,
  refusing,
  onSelect,
  teamSelected,
  onSelectTeam,
  edit,
  announce,
}: TeamCardProps) {
  const id = useId();
  const [phaseOpen, setPhaseOpen] = useState<'closed' | 'open' | 'focus'>('closed');
  const phases = formPhases(form);
  const samePhase = (other: number) => {
    const neighbour = boardOrderAt(form, other);
    return neighbour !== undefined && phases.get(neighbour.id) === phases.get(team.id);
  };
  const data: DragData = { type: 'team', teamId: team.id, empty: team.agents.length === 0 };
  const {
    attributes,
    listeners,
    setNodeRef,
    setActivatorNodeRef,
    transform,
    transition,
    isDragging,
    isOver,
    active,
  } = useSortable({ id: teamDndId(team.id), data });
  const title = team.name.trim() || 'Unnamed team';
  const activeType = (active?.data.current as DragData | undefined)?.type;
  const receiving = isOver && (activeType === 'agent' || activeType === 'palette');
  const flaggedAgents = new Set(issues.map((i) => i.agentId).filter((a) => a !== undefined));
  const teamIssues = issues.filter((i) => i.agentId === undefined);
  const worst = teamIssues.some((i) => i.severity === 'error')
    ? 'error'
    : teamIssues.some((i) => i.severity === 'warning')
      ? 'warning'
      : null;

  const items: MenuItem[] = [
    {
      label: 'Duplicate team',
      onSelect: () => {
        edit((f, newId) => duplicateTeam(f, team.id, newId));
        announce(`${title} duplicated.`);
      },
    },
    {
      label: 'Split into two teams',
      disabled: planSplit(team).move.length === 0,
      onSelect: () => {
        edit((f, newId) => splitTeam(f, team.id, newId));
        announce(`${title} split in two.`);
      },
    },
    {
      label: 'Brief and phase…',
      separated: true,
      onSelect: () => onSelectTeam(team.id),
    },
    {
      label: 'Start after…',
      disabled: form.teams.length < 2,
      onSelect: () => setPhaseOpen('focus'),
    },
    {
      label: 'Start at once',
      disabled: team.after.length === 0,
      onSelect: () => {
        edit((f) => setAfter(f, team.id, []));
        announce(`${title} starts at once.`);
      },
    },
    // Cards are grouped by phase: a move stays within the team's phase.
    {
      label: 'Move earlier',
      separated: true,
      disabled: index === 0 || !samePhase(index - 1),
      onSelect: () => edit((f) => moveTeam(f, team.id, index - 1)),
    },
    {
      label: 'Move later',
      disabled: index >= form.teams.length - 1 || !samePhase(index + 1),
      onSelect: () => edit((f) => moveTeam(f, team.id, index + 1)),
    },
    {
      label: 'Remove team',
      tone: 'danger',
      separated: true,
      onSelect: () => {
        edit((f) => removeTeam(f, team.id));
        announce(`${title} removed. Press Ctrl+Z to undo.`);
      },
    },
  ];

  return (
    <section
      ref={setNodeRef}
      className={[
        'team-card',
        worst ? `has-${worst}` : '',
        isDragging ? 'is-dragging' : '',
        receiving ? (refusing ? 'is-refusing' : 'is-receiving') : '',
      ].join(' ')}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      aria-label={title}
    >
      <header className="team-card-head">
        <button
          ref={setActivatorNodeRef}
          type="button"
          className="drag-handle drag-handle-team"
          aria-label={`Drag team ${title}`}
          {...attributes}
          {...listeners}
        >
          <span aria-hidden="true">⠿</span>
        </button>
        <label htmlFor={`${id}-name`} className="visually-hidden">
          Team name
        </label>
        <input
          id={`${id}-name`}
          className="team-name-input"
          value={team.name}
          autoComplete="off"
          placeholder="Team name"
          onChange={(event) =>
            edit((f) => updateTeam(f, team.id, { name: event.target.value }), {
              coalesce: `team:${team.id}:name`,
            })
          }
        />
        <button
          type="button"
          className={`btn btn-ghost btn-icon team-details-button${teamSelected ? ' is-active' : ''}`}
          aria-label={`Brief and phase of ${title}`}
          aria-pressed={teamSelected}
          onClick={() => onSelectTeam(team.id)}
        >
          <span aria-hidden="true">✎</span>
        </button>
        <Menu label={`Actions for ${teamTitle(title)}`} items={items} />
      </header>

      <BriefFocus team={team} edit={edit} />
      {form.teams.length > 1 ? (
        <TeamPhase
          form={form}
          team={team}
          open={phaseOpen !== 'closed'}
          focusOnOpen={phaseOpen === 'focus'}
          onOpenChange={(open) => setPhaseOpen(open ? 'open' : 'closed')}
          edit={edit}
          announce={announce}
        />
      ) : null}

      <div className="team-card-meta">
        <span className={`team-size${team.agents.length > MAX_RECOMMENDED_TEAM_SIZE ? ' is-over' : ''}`}>
          {plural(team.agents.length, 'agent')}
        </span>
        {estimate && estimate.nanoPerHour > 0 ? (
          <span className="team-cost" title="Estimated at the assumed workload; see the estimate panel">
            ~{formatUsd(estimate.nanoPerHour)}/h
          </span>
        ) : null}
        <label htmlFor={`${id}-budget`} className="team-budget-label">
          <span aria-hidden="true">Budget</span>
          <span className="visually-hidden">Team budget (USD)</span>
        </label>
        <div className="team-budget">
          <MoneyInput
            id={`${id}-budget`}
            value={team.budgetUsd}
            onChange={(budgetUsd) =>
              edit((f) => updateTeam(f, team.id, { budgetUsd }), { coalesce: `team:${team.id}:budget` })
            }
          />
        </div>
      </div>

      <SortableContext
        items={team.agents.map((a) => agentDndId(a.id))}
        strategy={verticalListSortingStrategy}
      >
        <ul className="agent-rows" aria-label={`Agents of ${title}`}>
          {team.agents.map((agent, i) => (
            <AgentRow
              key={agent.id}
              agent={agent}
              team={team}
              index={i}
              form={form}
              selected={agent.id === selectedAgentId}
              flagged={flaggedAgents.has(agent.id)}
              runtimeProblem={runtimeProblem(runtimes, agent.runtime)}
              onSelect={onSelect}
              edit={edit}
              announce={announce}
            />
          ))}
        </ul>
      </SortableContext>
      {team.agents.length === 0 ? (
        <p className="team-empty">Drag a leader and coders here from the palette.</p>
      ) : null}

      {teamIssues.length > 0 ? (
        <ul className="team-issues" aria-label={`Checks for ${title}`}>
          {teamIssues.map((issue) => (
            <li key={issue.key} className={`team-issue severity-${issue.severity}`}>
              {issue.rule === 'missing-leader'
                ? 'No leader'
                : issue.rule === 'team-too-large'
                  ? `Over ${MAX_RECOMMENDED_TEAM_SIZE} agents`
                  : issue.rule === 'leader-only'
                    ? 'No coders'
                    : issue.rule === 'team-without-brief'
                      ? 'No brief'
                      : issue.rule === 'owned-paths-overlap'
                        ? 'Owns paths another team of its phase owns'
                        : issue.title}
            </li>
          ))}
        </ul>
      ) : null}

      <footer className="team-card-actions">
        {teamHasLeader(team) ? null : (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => edit((f, newId) => addAgentAt(f, team.id, 'leader', newId))}
          >
            Add leader
          </button>
        )}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => edit((f, newId) => addAgentAt(f, team.id, 'coder', newId))}
        >
          Add coder
        </button>
      </footer>
    </section>
  );
}

function boardOrderAt(form: DesignForm, index: number): TeamForm | undefined {
  return boardOrder(form)[index];
}
