import { useId } from 'react';
import type { RuntimeStatus } from '../../../../src/shared/contract/runtimes.js';
import {
  AGENT_RUNTIMES,
  CLAUDE_CODE_TOOLS,
  mcpServerSpecSchema,
  type AgentRuntime,
  type McpServerSpec,
} from '../../../../src/shared/team.js';
import {
  effectiveClaudeCode,
  mcpServerToSpec,
  newMcpServer,
  RUNTIME_LABELS,
  setAgentRuntime,
  setClaudeCodeTool,
  updateClaudeCode,
  type AgentForm,
  type ClaudeCodeForm,
  type McpServerForm,
  type TeamForm,
} from '../../domain/design-form.js';
import { Field } from '../../ui/field.js';
import type { Edit } from './agent-row.js';

const MCP_TYPE_LABELS: Record<McpServerSpec['type'], string> = {
  stdio: 'Local command (stdio)',
  http: 'HTTP',
  sse: 'Server-sent events (SSE)',
};

type McpField = 'name' | 'command' | 'url';

/**
 * What the engine will say about one MCP server, field by field, from the same schema it
 * validates with, so a mistake shows beside the field before Save rather than after it.
 */
export function mcpServerErrors(
  server: McpServerForm,
  others: readonly McpServerForm[],
): Partial<Record<McpField, string>> {
  const errors: Partial<Record<McpField, string>> = {};
  const parsed = mcpServerSpecSchema.safeParse(mcpServerToSpec(server));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === 'name' || field === 'command' || field === 'url') && !errors[field])
        errors[field] = issue.message;
    }
  }
  const name = server.name.trim();
  if (!errors.name && name && others.some((o) => o.name.trim() === name)) {
    errors.name = `another MCP server of this agent is called "${name}"`;
  }
  return errors;
}

/** One line on what the runtime status says, for the Runtime field's hint. */
function runtimeHint(runtime: AgentRuntime, status: RuntimeStatus | undefined): string {
  if (runtime === 'built-in') return 'Control Room’s own loop with its file and command tools.';
  const what = 'A Claude Code session in the agent’s worktree, with the tools below.';
  if (!status) return what;
  if (!status.available)
    return `${what} Claude Code cannot start on this machine: ${status.reason ?? 'no reason given'}.`;
  return status.version ? `${what} Claude Code ${status.version} is installed here.` : what;
}

interface RuntimeFieldsProps {
  agent: AgentForm;
  team: TeamForm;
  /** `runtimes:get-status`; empty while unknown. */
  runtimes: readonly RuntimeStatus[];
  edit: Edit;
}

/** The inspector's runtime choice and, for Claude Code, its tools and MCP servers. */
export function RuntimeFields({ agent, team, runtimes, edit }: RuntimeFieldsProps) {
  const id = useId();
  const status = runtimes.find((r) => r.runtime === agent.runtime);
  const claudeCode = agent.runtime === 'claude-code' ? effectiveClaudeCode(agent) : null;
  const changeClaudeCode = (change: (current: ClaudeCodeForm) => ClaudeCodeForm, coalesce?: string) =>
    edit(
      (f) => updateClaudeCode(f, team.id, agent.id, change),
      coalesce ? { coalesce: `agent:${agent.id}:${coalesce}` } : undefined,
    );
  const changeServer = (index: number, patch: Partial<McpServerForm>, field: string) =>
    changeClaudeCode(
      (current) => ({
        ...current,
        mcpServers: current.mcpServers.map((s, i) => (i === index ? { ...s, ...patch } : s)),
      }),
      `mcp:${index}:${field}`,
    );

  return (
    <>
      <Field id={`${id}-runtime`} label="Runtime" hint={runtimeHint(agent.runtime, status)}>
        <select
          id={`${id}-runtime`}
          className="input"
          value={agent.runtime}
          aria-invalid={status && !status.available ? true : undefined}
          onChange={(event) =>
            edit((f) => setAgentRuntime(f, team.id, agent.id, event.target.value as AgentRuntime))
          }
        >
          {AGENT_RUNTIMES.map((runtime) => {
            const unavailable = runtimes.find((r) => r.runtime === runtime)?.available === false;
            return (
              <option key={runtime} value={runtime}>
                {RUNTIME_LABELS[runtime]}
                {unavailable ? ' (not available here)' : ''}
              </option>
            );
          })}
        </select>
      </Field>

      {claudeCode ? (
        <>
          <fieldset className="runtime-tools">
            <legend className="field-label">Claude Code tools</legend>
            <div className="runtime-tool-grid">
              {CLAUDE_CODE_TOOLS.map((tool) => (
                <label key={tool} className="runtime-tool" htmlFor={`${id}-tool-${tool}`}>
                  <input
                    id={`${id}-tool-${tool}`}
                    type="checkbox"
                    checked={claudeCode.allowedTools.includes(tool)}
                    onChange={(event) =>
                      changeClaudeCode((current) => setClaudeCodeTool(current, tool, event.target.checked))
                    }
                  />
                  <span className="mono">{tool}</span>
                </label>
              ))}
            </div>
            <div className="field-hint">
              The rest are not offered to the model. Bash and edits are still checked against the allowed
              commands and the file write scope below.
            </div>
          </fieldset>

          <fieldset className="runtime-mcp">
            <legend className="field-label">MCP servers</legend>
            {claudeCode.mcpServers.length === 0 ? (
              <p className="field-hint">None: the agent has Claude Code’s tools and Control Room’s own.</p>
            ) : null}
            {claudeCode.mcpServers.map((server, index) => (
              <McpServerRow
                key={index}
                id={`${id}-mcp-${index}`}
                index={index}
                server={server}
                errors={mcpServerErrors(
                  server,
                  claudeCode.mcpServers.filter((_, i) => i !== index),
                )}
                onChange={(patch, field) => changeServer(index, patch, field)}
                onRemove={() =>
                  changeClaudeCode((current) => ({
                    ...current,
                    mcpServers: current.mcpServers.filter((_, i) => i !== index),
                  }))
                }
              />
            ))}
            <div>
              <button
                type="button"
                className="btn btn-small"
                disabled={claudeCode.mcpServers.length >= 10}
                onClick={() =>
                  changeClaudeCode((current) => ({
                    ...current,
                    mcpServers: [...current.mcpServers, newMcpServer(current)],
                  }))
                }
              >
                Add MCP server
              </button>
            </div>
            <div className="field-hint">
              No environment variables or headers: a team file is shared, so it must not carry secrets.
            </div>
          </fieldset>
        </>
      ) : null}
    </>
  );
}

interface McpServerRowProps {
  id: string;
  index: number;
  server: McpServerForm;
  errors: Partial<Record<McpField, string>>;
  onChange(patch: Partial<McpServerForm>, field: string): void;
  onRemove(): void;
}

function McpServerRow({ id, index, server, errors, onChange, onRemove }: McpServerRowProps) {
  const title = `MCP server ${index + 1}`;
  const errorOf = (field: McpField) =>
    errors[field] ? (
      <span id={`${id}-${field}-error`} className="field-error">
        {errors[field]}
      </span>
    ) : undefined;
  const invalid = (field: McpField) =>
    errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-${field}-error` } : {};

  return (
    <fieldset className="mcp-server">
      <legend className="visually-hidden">{title}</legend>
      <div className="inspector-row">
        <Field id={`${id}-name`} label="Server name" hint={errorOf('name')}>
          <input
            id={`${id}-name`}
            className="input mono"
            value={server.name}
            autoComplete="off"
            spellCheck={false}
            {...invalid('name')}
            onChange={(event) => onChange({ name: event.target.value }, 'name')}
          />
        </Field>
        <Field id={`${id}-type`} label="Transport">
          <select
            id={`${id}-type`}
            className="input"
            value={server.type}
            onChange={(event) => onChange({ type: event.target.value as McpServerSpec['type'] }, 'type')}
          >
            {(['stdio', 'http', 'sse'] as const).map((type) => (
              <option key={type} value={type}>
                {MCP_TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {server.type === 'stdio' ? (
        <>
          <Field id={`${id}-command`} label="Command" hint={errorOf('command')}>
            <input
              id={`${id}-command`}
              className="input mono"
              value={server.command}
              autoComplete="off"
              spellCheck={false}
              placeholder="npx"
              {...invalid('command')}
              onChange={(event) => onChange({ command: event.target.value }, 'command')}
            />
          </Field>
          <Field id={`${id}-args`} label="Arguments" hint="One per line.">
            <textarea
              id={`${id}-args`}
              className="input textarea mono"
              rows={2}
              value={server.args}
              spellCheck={false}
              onChange={(event) => onChange({ args: event.target.value }, 'args')}
            />
          </Field>
        </>
      ) : (
        <Field id={`${id}-url`} label="URL" hint={errorOf('url')}>
          <input
            id={`${id}-url`}
            className="input mono"
            value={server.url}
            autoComplete="off"
            spellCheck={false}
            placeholder="https://example.com/mcp"
            {...invalid('url')}
            onChange={(event) => onChange({ url: event.target.value }, 'url')}
          />
        </Field>
      )}
      <div className="mcp-server-actions">
        <button
          type="button"
          className="btn btn-small btn-danger-ghost"
          aria-label={`Remove ${title}${server.name.trim() ? ` (${server.name.trim()})` : ''}`}
          onClick={onRemove}
        >
          Remove
        </button>
      </div>
    </fieldset>
  );
}
