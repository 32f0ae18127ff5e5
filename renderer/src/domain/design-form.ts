import { DEFAULT_MODEL_BY_ROLE, findModel } from '../../../src/shared/models.js';
import { nanoToUsd, usdToNano } from '../../../src/shared/money.js';
import { teamPhases } from '../../../src/shared/phases.js';
import {
  agentRuntime,
  CLAUDE_CODE_TOOLS,
  defaultClaudeCodeSpec,
  type AgentRole,
  type AgentRuntime,
  type AgentSpec,
  type ClaudeCodeSpec,
  type ClaudeCodeTool,
  type McpServerSpec,
  teamBrief,
  type TeamDesign,
  type TeamDesignDraft,
} from '../../../src/shared/team.js';

/**
 * The editor works on a form model, not on TeamDesignDraft: budgets and command lists
 * stay as the text the person typed (so "12." or a half-written list survive a
 * re-render), and become nano-dollars and arrays only when the design is saved.
 */
export interface AgentForm {
  id: string;
  name: string;
  role: AgentRole;
  model: string;
  budgetUsd: string;
  systemPrompt: string;
  allowedCommands: string;
  /** Paths the agent may write, one per line as typed; empty means the whole worktree. */
  writeScope: string;
  idleTimeoutSec: number | null;
  runtime: AgentRuntime;
  /**
   * A Claude Code agent's tools and MCP servers once the person changed them; null means
   * the role's defaults (`defaultClaudeCodeSpec`), which follow a change of role. Always
   * null for a built-in agent: its Claude Code settings would never be read.
   */
  claudeCode: ClaudeCodeForm | null;
}

export interface ClaudeCodeForm {
  /** In CLAUDE_CODE_TOOLS order, so the same choice is the same form. */
  allowedTools: ClaudeCodeTool[];
  mcpServers: McpServerForm[];
}

/** One MCP server as typed: every field kept, so switching the type back loses nothing. */
export interface McpServerForm {
  name: string;
  type: McpServerSpec['type'];
  command: string;
  /** One argument per line (an argument may contain spaces). */
  args: string;
  url: string;
}

export const RUNTIME_LABELS: Record<AgentRuntime, string> = {
  'built-in': 'Built-in',
  'claude-code': 'Claude Code',
};

/** A team's brief as typed: owned paths stay one per line until the design is saved. */
export interface BriefForm {
  focus: string;
  owns: string;
}

export interface TeamForm {
  id: string;
  name: string;
  budgetUsd: string;
  position: { x: number; y: number };
  agents: AgentForm[];
  brief: BriefForm;
  /** Ids of the teams this one starts after (its phase); empty: it starts at once. */
  after: string[];
}

export interface DesignForm {
  name: string;
  description: string;
  teams: TeamForm[];
  canvas: { zoom: number; offset: { x: number; y: number } };
  /** The director's model; null: the design names none, so the default (Opus) drafts. */
  directorModel: string | null;
}

export const EMPTY_BRIEF: BriefForm = { focus: '', owns: '' };

export type NewId = () => string;

export const ROLE_LABELS: Record<AgentRole, string> = {
  leader: 'Leader',
  coder: 'Coder',
  reviewer: 'Reviewer',
  researcher: 'Researcher',
};

const DEFAULT_PROMPTS: Record<AgentRole, string> = {
  leader:
    'You lead this team. Break the mission into small tasks, assign them to your coders, review what they deliver and escalate decisions you cannot make.',
  coder:
    'You are a coder on this team. Work only on the task you are given, keep changes small, run the tests before you report back.',
  reviewer: 'You review the changes of this team for correctness, security and clarity.',
  researcher: 'You answer questions about the code base and the documentation for this team.',
};

const lower = (s: string) => s.trim().toLocaleLowerCase();

function agentNames(form: DesignForm): Set<string> {
  return new Set(form.teams.flatMap((t) => t.agents.map((a) => lower(a.name))));
}

/** The first of `candidates(1)`, `candidates(2)`, … not already taken (case-insensitive). */
function firstFree(taken: Set<string>, candidate: (n: number) => string, start = 1): string {
  for (let n = start; ; n += 1) {
    const name = candidate(n);
    if (!taken.has(lower(name))) return name;
  }
}

/** A name for a new agent of `team`, unique in the whole design: "Lead 2", "Coder 2-3". */
export function suggestAgentName(form: DesignForm, teamId: string, role: AgentRole): string {
  const index = form.teams.findIndex((t) => t.id === teamId);
  const teamNo = index < 0 ? form.teams.length + 1 : index + 1;
  const taken = agentNames(form);
  if (role === 'leader') return firstFree(taken, (n) => `Lead ${n}`, teamNo);
  const prefix = ROLE_LABELS[role];
  const team = form.teams[index];
  const sameRole = team ? team.agents.filter((a) => a.role === role).length : 0;
  return firstFree(taken, (n) => `${prefix} ${teamNo}-${n}`, sameRole + 1);
}

export function newAgent(form: DesignForm, teamId: string, role: AgentRole, newId: NewId): AgentForm {
  return {
    id: newId(),
    name: suggestAgentName(form, teamId, role),
    role,
    model: DEFAULT_MODEL_BY_ROLE[role],
    budgetUsd: '',
    systemPrompt: DEFAULT_PROMPTS[role],
    allowedCommands: '',
    writeScope: '',
    idleTimeoutSec: null,
    runtime: 'built-in',
    claudeCode: null,
  };
}

/** A design with one team (a leader and a coder): the smallest design that can work. */
export function emptyDesignForm(newId: NewId): DesignForm {
  const base: DesignForm = {
    name: '',
    description: '',
    teams: [],
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    directorModel: null,
  };
  return addTeam(base, newId);
}

export function addTeam(form: DesignForm, newId: NewId): DesignForm {
  const taken = new Set(form.teams.map((t) => lower(t.name)));
  const ordered = boardOrder(form);
  const team: TeamForm = {
    id: newId(),
    name: firstFree(taken, (n) => `Team ${n}`, form.teams.length + 1),
    budgetUsd: '',
    position: slotPosition(ordered.length),
    agents: [],
    brief: EMPTY_BRIEF,
    after: [],
  };
  let next: DesignForm = { ...form, teams: relayout([...ordered, team]) };
  next = addAgent(next, team.id, 'leader', newId);
  return addAgent(next, team.id, 'coder', newId);
}

/** Removes a team; teams that started after it no longer wait for it. */
export function removeTeam(form: DesignForm, teamId: string): DesignForm {
  const teams = boardOrder(form)
    .filter((t) => t.id !== teamId)
    .map((t) => (t.after.includes(teamId) ? { ...t, after: t.after.filter((id) => id !== teamId) } : t));
  return { ...form, teams: relayout(teams) };
}

/** Board slots: three cards a row. Stored in each team's `position` so a layout round-trips. */
export const BOARD_COLUMNS = 3;
const SLOT = { x: 360, y: 440, left: 80, top: 80 };

export function slotPosition(index: number): { x: number; y: number } {
  return {
    x: SLOT.left + (index % BOARD_COLUMNS) * SLOT.x,
    y: SLOT.top + Math.floor(index / BOARD_COLUMNS) * SLOT.y,
  };
}

/** Rewrites positions to match the order, leaving teams already in place untouched. */
export function relayout(teams: TeamForm[]): TeamForm[] {
  return teams.map((team, i) => {
    const at = slotPosition(i);
    return team.position.x === at.x && team.position.y === at.y ? team : { ...team, position: at };
  });
}

/**
 * Teams in board order: by phase (teams that start at once first), then by stored position
 * (row, then column), ties by array order. An imported design drawn elsewhere keeps its
 * reading order within each phase.
 */
export function boardOrder(form: Pick<DesignForm, 'teams'>): TeamForm[] {
  const phases = teamPhases(form.teams.map((t) => ({ id: t.id, name: t.name, after: t.after })));
  // A team caught in a circle (refused on save) has no phase: it goes last, not missing.
  const phaseOf = (team: TeamForm) => phases.get(team.id) ?? Number.MAX_SAFE_INTEGER;
  return form.teams
    .map((team, i) => ({ team, i }))
    .sort(
      (a, b) =>
        phaseOf(a.team) - phaseOf(b.team) ||
        a.team.position.y - b.team.position.y ||
        a.team.position.x - b.team.position.x ||
        a.i - b.i,
    )
    .map(({ team }) => team);
}

export function updateTeam(
  form: DesignForm,
  teamId: string,
  patch: Partial<Omit<TeamForm, 'id' | 'agents' | 'after'>>,
): DesignForm {
  return { ...form, teams: form.teams.map((t) => (t.id === teamId ? { ...t, ...patch } : t)) };
}

/** Adds an agent; a leader goes first in its team, everyone else last. */
export function addAgent(form: DesignForm, teamId: string, role: AgentRole, newId: NewId): DesignForm {
  const agent = newAgent(form, teamId, role, newId);
  return {
    ...form,
    teams: form.teams.map((t) =>
      t.id === teamId ? { ...t, agents: role === 'leader' ? [agent, ...t.agents] : [...t.agents, agent] } : t,
    ),
  };
}

export function removeAgent(form: DesignForm, teamId: string, agentId: string): DesignForm {
  return {
    ...form,
    teams: form.teams.map((t) =>
      t.id === teamId ? { ...t, agents: t.agents.filter((a) => a.id !== agentId) } : t,
    ),
  };
}

export function updateAgent(
  form: DesignForm,
  teamId: string,
  agentId: string,
  patch: Partial<Omit<AgentForm, 'id'>>,
): DesignForm {
  return {
    ...form,
    teams: form.teams.map((t) =>
      t.id === teamId
        ? {
            ...t,
            agents: t.agents.map((a) => {
              if (a.id !== agentId) return a;
              const next = { ...a, ...patch };
              // Changing the role keeps a hand-picked model but moves a default one along.
              if (patch.role && patch.model === undefined && a.model === DEFAULT_MODEL_BY_ROLE[a.role]) {
                next.model = DEFAULT_MODEL_BY_ROLE[patch.role];
              }
              return next;
            }),
          }
        : t,
    ),
  };
}

export function teamHasLeader(team: TeamForm): boolean {
  return team.agents.some((a) => a.role === 'leader');
}

/** Dollars as a person reads them back in a field: "25", "12.5", "" for no budget. */
export function nanoToField(nano: number | null): string {
  if (nano === null) return '';
  return String(nanoToUsd(nano));
}

/** Splits an allowed-commands field on commas and new lines. */
export function parseCommands(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

/** One entry per line (paths may contain commas, so only new lines separate them). */
export function parseLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export function designToForm(design: TeamDesign): DesignForm {
  return {
    name: design.name,
    description: design.description,
    canvas: design.canvas,
    directorModel: design.director?.model ?? null,
    teams: design.teams.map((team) => ({
      id: team.id,
      name: team.name,
      budgetUsd: nanoToField(team.budgetNanoUsd),
      position: team.position,
      brief: { focus: teamBrief(team).focus, owns: teamBrief(team).owns.join('\n') },
      after: [...(team.after ?? [])],
      agents: team.agents.map((agent: AgentSpec) => ({
        id: agent.id,
        name: agent.name,
        role: agent.role,
        model: agent.model,
        budgetUsd: nanoToField(agent.budgetNanoUsd),
        systemPrompt: agent.systemPrompt,
        allowedCommands: agent.permissions.allowedCommands.join('\n'),
        writeScope: agent.permissions.writeScope.join('\n'),
        idleTimeoutSec: agent.idleTimeoutSec,
        runtime: agentRuntime(agent),
        claudeCode:
          agentRuntime(agent) === 'claude-code' && agent.claudeCode
            ? claudeCodeToForm(agent.claudeCode)
            : null,
      })),
    })),
  };
}

// Negative amounts parse here on purpose: the engine owns the rule and its message.
const DOLLARS = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** "$12.50", "12.5", "1,000" → nano-dollars; "" → null; anything else → undefined. */
export function parseBudget(text: string): number | null | undefined {
  const cleaned = text.trim().replace(/^\$/, '').replace(/^-\$/, '-').replaceAll(',', '');
  if (cleaned === '') return null;
  if (!DOLLARS.test(cleaned)) return undefined;
  return usdToNano(Number(cleaned));
}

export type DraftResult = { ok: true; draft: TeamDesignDraft } | { ok: false; message: string };

/**
 * Builds what `teams:save` accepts. Only what cannot be sent at all (a budget that is
 * not a number) is refused here; every other rule is the engine's, so the person sees
 * the same message whether a design comes from this form or from a file.
 */
export function formToDraft(
  form: DesignForm,
  target: { id?: string; expectedRevision?: number } = {},
): DraftResult {
  const problems: string[] = [];
  const budget = (text: string, where: string): number | null => {
    const nano = parseBudget(text);
    if (nano === undefined) {
      problems.push(
        `${where}: budget "${text.trim()}" is not an amount in dollars (for example 25 or 12.50)`,
      );
      return null;
    }
    return nano;
  };
  const teams = form.teams.map((team) => ({
    id: team.id,
    name: team.name,
    budgetNanoUsd: budget(team.budgetUsd, `Team "${team.name}"`),
    position: team.position,
    // Written only when set, so a design without briefs or phases saves as it was.
    ...(team.brief.focus.trim() !== '' || parseLines(team.brief.owns).length > 0
      ? { brief: { focus: team.brief.focus.trim(), owns: parseLines(team.brief.owns) } }
      : {}),
    ...(team.after.length > 0 ? { after: [...team.after] } : {}),
    agents: team.agents.map((agent) => ({
      id: agent.id,
      name: agent.name,
      role: agent.role,
      model: agent.model,
      budgetNanoUsd: budget(agent.budgetUsd, `Agent "${agent.name}"`),
      systemPrompt: agent.systemPrompt,
      permissions: {
        allowedCommands: parseCommands(agent.allowedCommands),
        writeScope: parseLines(agent.writeScope),
      },
      idleTimeoutSec: agent.idleTimeoutSec,
      // Built-in agents are written as before runtimes existed, so old designs save unchanged.
      ...(agent.runtime === 'claude-code'
        ? {
            runtime: agent.runtime,
            ...(agent.claudeCode ? { claudeCode: claudeCodeToSpec(agent.claudeCode) } : {}),
          }
        : {}),
    })),
  }));
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };
  const draft: TeamDesignDraft = {
    ...(target.id !== undefined ? { id: target.id } : {}),
    ...(target.expectedRevision !== undefined ? { expectedRevision: target.expectedRevision } : {}),
    name: form.name,
    description: form.description,
    teams,
    canvas: form.canvas,
    ...(form.directorModel !== null ? { director: { model: form.directorModel } } : {}),
  };
  return { ok: true, draft };
}

/** Same content, whatever object identity: drives the "unsaved changes" marker. */
export function sameForm(a: DesignForm, b: DesignForm): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Rewrites the engine's field paths ("request.design.teams.1.agents.0.name: …") in
 * the words of the form ("Team “Beta” › agent “Lead 2” › name: …"), so a person can
 * find the field without counting from zero.
 */
export function describeServerMessage(message: string, form: DesignForm): string {
  // "teams:save: …" names the command, which means nothing to the person who clicked Save.
  return message
    .replace(/^[a-z]+:[a-z-]+: /, '')
    .replace(/(?:request\.)?design\.director\.model/g, 'Director model')
    .replace(
      /(?:request\.)?design\.teams\.(\d+)(?:\.agents\.(\d+))?((?:\.[A-Za-z]+|\.\d+(?=\.|:|$))*)/g,
      (match, t: string, a: string | undefined, rest: string) => {
        const team = form.teams[Number(t)];
        if (!team) return match;
        const parts = [`Team “${team.name}”`];
        if (a !== undefined) {
          const agent = team.agents[Number(a)];
          if (!agent) return match;
          parts.push(`agent “${agent.name}”`);
        }
        const field = rest.replace(/^\./, '');
        if (field) parts.push(fieldLabel(field));
        return parts.join(' › ');
      },
    );
}

const FIELD_LABELS: Record<string, string> = {
  name: 'name',
  budgetNanoUsd: 'budget',
  model: 'model',
  role: 'role',
  systemPrompt: 'system prompt',
  agents: 'agents',
  'permissions.allowedCommands': 'allowed commands',
  'permissions.writeScope': 'file write scope',
  idleTimeoutSec: 'idle timeout',
  runtime: 'runtime',
  claudeCode: 'Claude Code',
  'claudeCode.allowedTools': 'Claude Code tools',
  'claudeCode.mcpServers': 'MCP servers',
  after: 'starts after',
  brief: 'brief',
  'brief.focus': 'brief',
  'brief.owns': 'owned paths',
};

const MCP_FIELD_LABELS: Record<string, string> = {
  name: 'name',
  type: 'type',
  command: 'command',
  args: 'arguments',
  url: 'URL',
};

/** "claudeCode.mcpServers.1.url" → "MCP server 2 › URL"; other paths through FIELD_LABELS. */
function fieldLabel(path: string): string {
  const server = /^claudeCode\.mcpServers\.(\d+)(?:\.([A-Za-z]+))?/.exec(path);
  if (server) {
    const parts = [`MCP server ${Number(server[1]) + 1}`];
    if (server[2]) parts.push(MCP_FIELD_LABELS[server[2]] ?? server[2]);
    return parts.join(' › ');
  }
  const tool = /^claudeCode\.allowedTools\.\d+$/.exec(path);
  if (tool) return 'Claude Code tools';
  if (/^after\.\d+$/.test(path)) return 'starts after';
  const owned = /^brief\.owns\.(\d+)$/.exec(path);
  if (owned) return `owned path ${Number(owned[1]) + 1}`;
  return FIELD_LABELS[path] ?? path;
}

/** True when `model` is one Control Room knows; an imported unknown one is shown as such. */
export function isKnownModel(model: string): boolean {
  return findModel(model) !== undefined;
}

/** A stored spec's Claude Code settings in the form's shape. */
export function claudeCodeToForm(spec: ClaudeCodeSpec): ClaudeCodeForm {
  return {
    allowedTools: CLAUDE_CODE_TOOLS.filter((tool) => spec.allowedTools.includes(tool)),
    mcpServers: spec.mcpServers.map((server) =>
      server.type === 'stdio'
        ? { name: server.name, type: 'stdio', command: server.command, args: server.args.join('\n'), url: '' }
        : { name: server.name, type: server.type, command: '', args: '', url: server.url },
    ),
  };
}

/** What the form's MCP server sends; only the fields of its type. */
export function mcpServerToSpec(server: McpServerForm): McpServerSpec {
  const name = server.name.trim();
  return server.type === 'stdio'
    ? { name, type: 'stdio', command: server.command.trim(), args: parseLines(server.args) }
    : { name, type: server.type, url: server.url.trim() };
}

export function claudeCodeToSpec(form: ClaudeCodeForm): ClaudeCodeSpec {
  return { allowedTools: [...form.allowedTools], mcpServers: form.mcpServers.map(mcpServerToSpec) };
}

/** The Claude Code settings an agent has now: its own, or its role's defaults. */
export function effectiveClaudeCode(agent: Pick<AgentForm, 'role' | 'claudeCode'>): ClaudeCodeForm {
  return agent.claudeCode ?? claudeCodeToForm(defaultClaudeCodeSpec(agent.role));
}

/**
 * Switches an agent's runtime. Claude Code starts from the role's defaults; going back
 * to built-in drops the Claude Code settings (they would be ignored), and undo has them.
 */
export function setAgentRuntime(
  form: DesignForm,
  teamId: string,
  agentId: string,
  runtime: AgentRuntime,
): DesignForm {
  return updateAgent(form, teamId, agentId, { runtime, claudeCode: null });
}

/** Changes a Claude Code agent's settings, starting from its defaults when it had none. */
export function updateClaudeCode(
  form: DesignForm,
  teamId: string,
  agentId: string,
  change: (current: ClaudeCodeForm) => ClaudeCodeForm,
): DesignForm {
  const agent = form.teams.find((t) => t.id === teamId)?.agents.find((a) => a.id === agentId);
  if (!agent || agent.runtime !== 'claude-code') return form;
  return updateAgent(form, teamId, agentId, { claudeCode: change(effectiveClaudeCode(agent)) });
}

/** Turns one Claude Code tool on or off, keeping CLAUDE_CODE_TOOLS order. */
export function setClaudeCodeTool(
  current: ClaudeCodeForm,
  tool: ClaudeCodeTool,
  on: boolean,
): ClaudeCodeForm {
  return {
    ...current,
    allowedTools: CLAUDE_CODE_TOOLS.filter((t) => (t === tool ? on : current.allowedTools.includes(t))),
  };
}

/** A new MCP server row, named so it does not clash with the agent's others. */
export function newMcpServer(current: ClaudeCodeForm): McpServerForm {
  const taken = new Set(current.mcpServers.map((s) => lower(s.name)));
  return { name: firstFree(taken, (n) => `server-${n}`), type: 'stdio', command: '', args: '', url: '' };
}
