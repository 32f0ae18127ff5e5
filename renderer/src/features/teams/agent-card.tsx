import { useId } from 'react';
import { findModel, MODELS, type ModelInfo } from '../../../../src/shared/models.js';
import { AGENT_ROLES } from '../../../../src/shared/team.js';
import { formatDate, plural } from '../../lib/format.js';
import { Field, MoneyInput } from '../../ui/field.js';
import { isKnownModel, parseCommands, ROLE_LABELS, type AgentForm } from './draft.js';

interface AgentCardProps {
  agent: AgentForm;
  onChange(patch: Partial<Omit<AgentForm, 'id'>>): void;
  onRemove(): void;
}

export function AgentCard({ agent, onChange, onRemove }: AgentCardProps) {
  const id = useId();
  const displayName = agent.name.trim() || 'Unnamed agent';
  const commands = parseCommands(agent.allowedCommands).length;
  const retiresOn = findModel(agent.model)?.retiresOn;

  return (
    <fieldset className={`agent-card role-${agent.role}`}>
      <legend className="visually-hidden">{displayName}</legend>
      <div className="agent-grid">
        <Field id={`${id}-name`} label="Name">
          <input
            id={`${id}-name`}
            className="input"
            value={agent.name}
            autoComplete="off"
            onChange={(event) => onChange({ name: event.target.value })}
          />
        </Field>
        <Field id={`${id}-role`} label="Role">
          <select
            id={`${id}-role`}
            className="input"
            value={agent.role}
            onChange={(event) => onChange({ role: event.target.value as AgentForm['role'] })}
          >
            {AGENT_ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${id}-model`} label="Model">
          <select
            id={`${id}-model`}
            className="input"
            value={agent.model}
            onChange={(event) => onChange({ model: event.target.value })}
          >
            {isKnownModel(agent.model) ? null : <option value={agent.model}>{agent.model} (unknown)</option>}
            {MODELS.map((model: ModelInfo) => (
              <option key={model.id} value={model.id}>
                {model.label}
                {model.retiresOn ? ` (retires ${formatDate(model.retiresOn)})` : ''}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${id}-budget`} label="Budget (USD)">
          <MoneyInput
            id={`${id}-budget`}
            value={agent.budgetUsd}
            onChange={(budgetUsd) => onChange({ budgetUsd })}
          />
        </Field>
        <div className="agent-remove">
          <button
            type="button"
            className="btn btn-ghost btn-small btn-danger-ghost"
            onClick={onRemove}
            aria-label={`Remove ${displayName}`}
          >
            Remove
          </button>
        </div>
      </div>
      {retiresOn ? (
        <p className="agent-warning" role="note">
          {findModel(agent.model)?.label} is retired by Anthropic on {formatDate(retiresOn)}; choose a newer
          model before then.
        </p>
      ) : null}
      <details className="agent-details">
        <summary>
          Prompt and commands
          <span className="muted">
            {' · '}
            {agent.systemPrompt.trim() ? 'custom prompt' : 'no prompt'},{' '}
            {commands === 0 ? 'no commands allowed' : plural(commands, 'allowed command')}
          </span>
        </summary>
        <div className="agent-details-body">
          <Field id={`${id}-prompt`} label="System prompt">
            <textarea
              id={`${id}-prompt`}
              className="input textarea"
              rows={4}
              value={agent.systemPrompt}
              onChange={(event) => onChange({ systemPrompt: event.target.value })}
            />
          </Field>
          <Field
            id={`${id}-commands`}
            label="Allowed commands"
            hint="Separate commands with commas or new lines, for example: npm test, git status"
          >
            <textarea
              id={`${id}-commands`}
              className="input textarea mono"
              rows={3}
              value={agent.allowedCommands}
              onChange={(event) => onChange({ allowedCommands: event.target.value })}
            />
          </Field>
        </div>
      </details>
    </fieldset>
  );
}
