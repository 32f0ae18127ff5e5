import { useId } from 'react';
import { plural } from '../../lib/format.js';
import { Field, MoneyInput } from '../../ui/field.js';
import { AgentCard } from './agent-card.js';
import {
  addAgent,
  removeAgent,
  removeTeam,
  teamHasLeader,
  updateAgent,
  updateTeam,
  type DesignForm,
  type TeamForm,
} from './draft.js';

interface TeamCardProps {
  team: TeamForm;
  edit(update: (form: DesignForm, newId: () => string) => DesignForm): void;
}

export function TeamCard({ team, edit }: TeamCardProps) {
  const id = useId();
  const title = team.name.trim() || 'Unnamed team';

  return (
    <section className="card team-card" aria-labelledby={`${id}-title`}>
      <div className="team-head">
        <div className="team-title-group">
          <h3 id={`${id}-title`} className="team-title">
            {title}
          </h3>
          <span className="muted">{plural(team.agents.length, 'agent')}</span>
        </div>
        <button
          type="button"
          className="btn btn-small btn-danger-ghost"
          onClick={() => edit((f) => removeTeam(f, team.id))}
          aria-label={`Remove team ${title}`}
        >
          Remove team
        </button>
      </div>
      <div className="team-fields">
        <Field id={`${id}-name`} label="Team name">
          <input
            id={`${id}-name`}
            className="input"
            value={team.name}
            autoComplete="off"
            onChange={(event) => edit((f) => updateTeam(f, team.id, { name: event.target.value }))}
          />
        </Field>
        <Field id={`${id}-budget`} label="Team budget (USD)" hint="Leave empty for no team cap.">
          <MoneyInput
            id={`${id}-budget`}
            value={team.budgetUsd}
            onChange={(budgetUsd) => edit((f) => updateTeam(f, team.id, { budgetUsd }))}
          />
        </Field>
      </div>
      <div className="agent-list">
        {team.agents.length === 0 ? (
          <p className="muted agent-empty">No agents yet. A team needs a leader to take a mission.</p>
        ) : null}
        {team.agents.map((agent) => (
          <AgentCard
            key={agent.id}
            agent={agent}
            onChange={(patch) => edit((f) => updateAgent(f, team.id, agent.id, patch))}
            onRemove={() => edit((f) => removeAgent(f, team.id, agent.id))}
          />
        ))}
      </div>
      <div className="team-actions">
        {teamHasLeader(team) ? null : (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => edit((f, newId) => addAgent(f, team.id, 'leader', newId))}
          >
            Add leader
          </button>
        )}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => edit((f, newId) => addAgent(f, team.id, 'coder', newId))}
        >
          Add coder
        </button>
      </div>
    </section>
  );
}
