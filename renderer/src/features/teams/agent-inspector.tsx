import { useId } from 'react';
import type { RuntimeStatus } from '../../../../src/shared/contract/runtimes.js';
import { workloadFor, workNanoPerHour, type MeasuredWorkload, type ModelPrices } from '../../../../src/shared/design-estimate.js';
import type { DesignIssue, DesignFix } from '../../../../src/shared/design-rules.js';
import { MODELS, findModel } from '../../../../src/shared/models.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { AGENT_ROLES, LIMITS, type AgentRole } from '../../../../src/shared/team.js';
import {
  isKnownModel,
  removeAgent,
  ROLE_LABELS,
  updateAgent,
  type AgentForm,
  type DesignForm,
  type TeamForm,
} from '../../domain/design-form.js';
import { applyFix, placementProblem } from '../../domain/design-ops.js';
import { formatDate } from '../../lib/format.js';
import { Field, MoneyInput } from '../../ui/field.js';
import type { Edit } from './agent-row.js';
import { RuntimeFields } from './runtime-fields.js';

const IDLE_PRESETS: readonly { sec: number; label: string }[] = [
  { sec: 60, label: '1 minute' },
  { sec: 300, label: '5 minutes' },
  { sec: 600, label: '10 minutes' },
  { sec: 900, label: '15 minutes' },
  { sec: 1_800, label: '30 minutes' },
  { sec: 3_600, label: '1 hour' },
  { sec: 7_200, label: '2 hours' },
];

function priceLabel(model: string, prices: ModelPrices): string {
  const price = prices[model];
  return price ? ` · $${price.inputUsdPerMTok} / $${price.outputUsdPerMTok} per MTok` : '';
}

interface InspectorProps {
  form: DesignForm;
  agent: AgentForm | undefined;
  team: TeamForm | undefined;
  issues: DesignIssue[];
  prices: ModelPrices;
  /** What past missions measured (`costs:get-workload`): the hourly figure uses it as the estimate does. */
  measured?: readonly MeasuredWorkload[] | undefined;
  /** `runtimes:get-status`; empty while unknown. */
  runtimes: readonly RuntimeStatus[];
  edit: Edit;
  onClose(): void;
  announce(message: string): void;
}

export function AgentInspector({
  form,
  agent,
  team,
  issues,
  prices,
  measured,
  runtimes,
  edit,
  onClose,
  announce,
}: InspectorProps) {
  const id = useId();

  if (!agent || !team) {
    return (
      <aside className="card inspector" aria-label="Agent details">
        <h3 className="inspector-title">Agent details</h3>
        <p className="muted inspector-empty">
          Select an agent on the board to set its name, model, runtime, budget, system prompt, permissions and
          idle timeout.
        </p>
      </aside>
    );
  }

  const name = agent.name.trim() || 'Unnamed agent';
  const change = (patch: Partial<Omit<AgentForm, 'id'>>, field: string) =>
    edit((f) => updateAgent(f, team.id, agent.id, patch), { coalesce: `agent:${agent.id}:${field}` });
  const fix = (value: DesignFix) => edit((f, newId) => applyFix(f, value, newId));
  const model = findModel(agent.model);
  const price = prices[agent.model];
  // As the estimate prices it: measured for this role on this model where the ledger has enough.
  const hourly = price ? workNanoPerHour(workloadFor(agent.role, agent.model, measured), price) : null;
  const idleCustom =
    agent.idleTimeoutSec !== null && !IDLE_PRESETS.some((p) => p.sec === agent.idleTimeoutSec)
      ? agent.idleTimeoutSec
      : null;

  return (
    <aside className={`card inspector role-${agent.role}`} aria-label="Agent details">
      <div className="inspector-head">
        <div className="inspector-heading">
          <span className="role-dot" aria-hidden="true" />
          <div>
            <h3 className="inspector-title">{name}</h3>
            <p className="muted inspector-sub">
              {ROLE_LABELS[agent.role]} in {team.name.trim() || 'Unnamed team'}
              {agent.runtime === 'claude-code' ? ' · Claude Code' : ''}
              {hourly !== null ? ` · ~${formatUsd(hourly)}/h` : ''}
            </p>
          </div>
        </div>
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          aria-label="Close agent details"
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
        <Field id={`${id}-name`} label="Name">
          <input
            id={`${id}-name`}
            className="input"
            value={agent.name}
            autoComplete="off"
            onChange={(event) => change({ name: event.target.value }, 'name')}
          />
        </Field>
        <div className="inspector-row">
          <Field id={`${id}-role`} label="Role">
            <select
              id={`${id}-role`}
              className="input"
              value={agent.role}
              onChange={(event) => change({ role: event.target.value as AgentRole }, 'role')}
            >
              {AGENT_ROLES.map((role) => {
                const taken =
                  role === 'leader' && placementProblem(form, 'leader', team.id, agent.id) !== null;
                return (
                  <option key={role} value={role} disabled={taken}>
                    {ROLE_LABELS[role]}
                    {taken ? ' (team has one)' : ''}
                  </option>
                );
              })}
            </select>
          </Field>
          <Field id={`${id}-budget`} label="Budget (USD)">
            <MoneyInput
              id={`${id}-budget`}
              value={agent.budgetUsd}
              onChange={(budgetUsd) => change({ budgetUsd }, 'budget')}
            />
          </Field>
        </div>
        <Field
          id={`${id}-model`}
          label="Model"
          hint={model?.retiresOn ? `Retired by Anthropic on ${formatDate(model.retiresOn)}.` : undefined}
        >
          <select
            id={`${id}-model`}
            className="input"
            value={agent.model}
            onChange={(event) => change({ model: event.target.value }, 'model')}
          >
            {isKnownModel(agent.model) ? null : <option value={agent.model}>{agent.model} (unknown)</option>}
            {MODELS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
                {priceLabel(m.id, prices)}
              </option>
            ))}
          </select>
        </Field>
        <RuntimeFields agent={agent} team={team} runtimes={runtimes} edit={edit} />
        <Field
          id={`${id}-idle`}
          label="Idle timeout"
          hint="An agent idle this long is stopped, so it stops costing."
        >
          <select
            id={`${id}-idle`}
            className="input"
            value={agent.idleTimeoutSec === null ? '' : String(agent.idleTimeoutSec)}
            onChange={(event) =>
              change(
                { idleTimeoutSec: event.target.value === '' ? null : Number(event.target.value) },
                'idle',
              )
            }
          >
            <option value="">Mission default</option>
            {idleCustom !== null ? <option value={String(idleCustom)}>{idleCustom} seconds</option> : null}
            {IDLE_PRESETS.filter(
              (p) => p.sec >= LIMITS.minIdleTimeoutSec && p.sec <= LIMITS.maxIdleTimeoutSec,
            ).map((p) => (
              <option key={p.sec} value={String(p.sec)}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${id}-prompt`} label="System prompt">
          <textarea
            id={`${id}-prompt`}
            className="input textarea"
            rows={5}
            value={agent.systemPrompt}
            onChange={(event) => change({ systemPrompt: event.target.value }, 'prompt')}
          />
        </Field>
        <Field
          id={`${id}-commands`}
          label="Allowed commands"
          hint="Commas or new lines between commands, e.g. npm test, git status. Empty: no commands."
        >
          <textarea
            id={`${id}-commands`}
            className="input textarea mono"
            rows={3}
            value={agent.allowedCommands}
            onChange={(event) => change({ allowedCommands: event.target.value }, 'commands')}
          />
        </Field>
        <Field
          id={`${id}-scope`}
          label="File write scope"
          hint="One path per line, relative to the repository (e.g. src/payments/). Empty: the whole worktree."
        >
          <textarea
            id={`${id}-scope`}
            className="input textarea mono"
            rows={2}
            value={agent.writeScope}
            onChange={(event) => change({ writeScope: event.target.value }, 'scope')}
          />
        </Field>
      </div>
      <div className="inspector-actions">
        <button
          type="button"
          className="btn btn-small btn-danger-ghost"
          onClick={() => {
            edit((f) => removeAgent(f, team.id, agent.id));
            announce(`${name} removed. Press Ctrl+Z to undo.`);
            onClose();
          }}
        >
          Remove agent
        </button>
      </div>
    </aside>
  );
}
