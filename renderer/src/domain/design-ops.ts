import { planSplit, type DesignFix } from '../../../src/shared/design-rules.js';
import type { AgentRole } from '../../../src/shared/team.js';
import {
  addAgent,
  boardOrder,
  newAgent,
  relayout,
  setAgentRuntime,
  setClaudeCodeTool,
  suggestAgentName,
  updateAgent,
  updateClaudeCode,
  type AgentForm,
  type DesignForm,
  type NewId,
  type TeamForm,
} from './design-form.js';
import { setAfter, toggledAfter } from './design-phases.js';

/**
 * The designer's moves as pure functions of the form: drag and drop, the "Move to team…"
 * menu, the one-click fixes and undo all go through these, so each is one history step
 * and each is unit-tested without a browser.
 */

const lower = (s: string) => s.trim().toLocaleLowerCase();

function findAgent(form: DesignForm, agentId: string): { team: TeamForm; agent: AgentForm } | undefined {
  for (const team of form.teams) {
    const agent = team.agents.find((a) => a.id === agentId);
    if (agent) return { team, agent };
  }
  return undefined;
}

/** Leaders first: the board, the engine and the person all read a team top-down from its leader. */
function leadersFirst(agents: AgentForm[]): AgentForm[] {
  return [...agents.filter((a) => a.role === 'leader'), ...agents.filter((a) => a.role !== 'leader')];
}

/** Why `role` cannot join `teamId`, in the words the person reads; null when it can. */
export function placementProblem(
  form: DesignForm,
  role: AgentRole,
  teamId: string,
  movingAgentId?: string,
): string | null {
  const team = form.teams.find((t) => t.id === teamId);
  if (!team) return 'That team no longer exists.';
  if (role === 'leader' && team.agents.some((a) => a.role === 'leader' && a.id !== movingAgentId)) {
    return `“${team.name.trim() || 'This team'}” already has a leader; a team has one.`;
  }
  return null;
}

/**
 * Moves an agent to `toTeamId` at `index` (its position among that team's agents after
 * the move; omitted = last). Within one team it reorders. A move that would give a team
 * a second leader is refused: the form comes back unchanged.
 */
export function moveAgent(form: DesignForm, agentId: string, toTeamId: string, index?: number): DesignForm {
  const found = findAgent(form, agentId);
  if (!found || placementProblem(form, found.agent.role, toTeamId, agentId) !== null) return form;
  const { team: from, agent } = found;
  const teams = form.teams.map((t) =>
    t.id === from.id ? { ...t, agents: t.agents.filter((a) => a.id !== agentId) } : t,
  );
  const next = teams.map((t) => {
    if (t.id !== toTeamId) return t;
    const agents = [...t.agents];
    const at = index === undefined ? agents.length : Math.max(0, Math.min(index, agents.length));
    agents.splice(at, 0, agent);
    return { ...t, agents: leadersFirst(agents) };
  });
  const changed = JSON.stringify(next) !== JSON.stringify(form.teams);
  return changed ? { ...form, teams: next } : form;
}

/** Adds a new agent of `role` (from the palette) to a team at `index`; refused like a move. */
export function addAgentAt(
  form: DesignForm,
  teamId: string,
  role: AgentRole,
  newId: NewId,
  index?: number,
): DesignForm {
  if (placementProblem(form, role, teamId) !== null) return form;
  const added = addAgent(form, teamId, role, newId);
  if (index === undefined || role === 'leader') return added;
  const team = added.teams.find((t) => t.id === teamId)!;
  const agent = team.agents[team.agents.length - 1]!;
  return moveAgent(added, agent.id, teamId, index);
}

/** Moves the team at `from` to `to` in board order and re-slots every card. */
export function moveTeam(form: DesignForm, teamId: string, toIndex: number): DesignForm {
  const ordered = boardOrder(form);
  const from = ordered.findIndex((t) => t.id === teamId);
  if (from < 0) return form;
  const to = Math.max(0, Math.min(toIndex, ordered.length - 1));
  const teams = [...ordered];
  const [team] = teams.splice(from, 1);
  teams.splice(to, 0, team!);
  return { ...form, teams: relayout(teams) };
}

function freeTeamName(form: DesignForm, base: string): string {
  const taken = new Set(form.teams.map((t) => lower(t.name)));
  // "Team 3" continues the numbering; a named team gets "Checkout 2".
  const numbered = /^Team \d+$/.test(base.trim());
  for (let n = numbered ? form.teams.length + 1 : 2; ; n += 1) {
    const name = numbered ? `Team ${n}` : `${base.trim()} ${n}`;
    if (!taken.has(lower(name))) return name;
  }
}

const DEFAULT_NAME = /^(Lead \d+|(Coder|Reviewer|Researcher) \d+-\d+)$/;

/**
 * Copies a team (models, prompts, budgets, permissions) with fresh ids right after the
 * original. Agent names must be unique in a design: default names are renumbered for the
 * new team, names a person chose get "(copy)".
 */
export function duplicateTeam(form: DesignForm, teamId: string, newId: NewId): DesignForm {
  const ordered = boardOrder(form);
  const at = ordered.findIndex((t) => t.id === teamId);
  const source = ordered[at];
  if (!source) return form;
  const copy: TeamForm = { ...source, id: newId(), name: freeTeamName(form, source.name), agents: [] };
  const teams = [...ordered];
  teams.splice(at + 1, 0, copy);
  let next: DesignForm = { ...form, teams: relayout(teams) };
  for (const agent of source.agents) {
    const taken = new Set(next.teams.flatMap((t) => t.agents.map((a) => lower(a.name))));
    let name: string;
    if (DEFAULT_NAME.test(agent.name)) {
      name = suggestAgentName(next, copy.id, agent.role);
    } else {
      name = `${agent.name} (copy)`;
      for (let n = 2; taken.has(lower(name)); n += 1) name = `${agent.name} (copy ${n})`;
    }
    const clone: AgentForm = { ...agent, id: newId(), name };
    next = {
      ...next,
      teams: next.teams.map((t) => (t.id === copy.id ? { ...t, agents: [...t.agents, clone] } : t)),
    };
  }
  return next;
}

/**
 * Splits a team in two (see planSplit): the second half moves to a new team placed right
 * after it, with a leader of its own on the same model as the original leader.
 */
export function splitTeam(form: DesignForm, teamId: string, newId: NewId): DesignForm {
  const ordered = boardOrder(form);
  const at = ordered.findIndex((t) => t.id === teamId);
  const source = ordered[at];
  if (!source || source.agents.length < 2) return form;
  const plan = planSplit(source);
  if (plan.move.length === 0) return form;
  const moving = new Set(plan.move);
  const half: TeamForm = {
    id: newId(),
    name: freeTeamName(form, source.name),
    budgetUsd: '',
    position: source.position,
    agents: source.agents.filter((a) => moving.has(a.id)),
    // The same work split in two: same focus and phase; the paths stay with the original.
    brief: { focus: source.brief.focus, owns: '' },
    after: [...source.after],
  };
  // Teams that waited for the whole team now wait for both halves.
  const teams = ordered.map((t) =>
    t.after.includes(source.id) ? { ...t, after: [...t.after, half.id] } : t,
  );
  teams.splice(at, 1, { ...source, agents: source.agents.filter((a) => !moving.has(a.id)) }, half);
  let next: DesignForm = { ...form, teams: relayout(teams) };
  if (plan.needsLeader) {
    const model = source.agents.find((a) => a.role === 'leader')?.model;
    const leader = newAgent(next, half.id, 'leader', newId);
    next = {
      ...next,
      teams: next.teams.map((t) =>
        t.id === half.id ? { ...t, agents: [{ ...leader, model: model ?? leader.model }, ...t.agents] } : t,
      ),
    };
  }
  return next;
}

/** Applies one of the rules' one-click fixes. */
export function applyFix(form: DesignForm, fix: DesignFix, newId: NewId): DesignForm {
  switch (fix.kind) {
    case 'add-leader':
      return addAgentAt(form, fix.teamId, 'leader', newId);
    case 'split-team':
      return splitTeam(form, fix.teamId, newId);
    case 'set-model':
      return updateAgent(form, fix.teamId, fix.agentId, { model: fix.model });
    case 'set-runtime':
      return setAgentRuntime(form, fix.teamId, fix.agentId, fix.runtime);
    case 'remove-claude-code-tool':
      return updateClaudeCode(form, fix.teamId, fix.agentId, (current) =>
        setClaudeCodeTool(current, fix.tool, false),
      );
    case 'start-after':
      return setAfter(form, fix.teamId, toggledAfter(form, fix.teamId, fix.afterId, true));
  }
}

/** The team holding `agentId`, if any. */
export function teamOfAgent(form: DesignForm, agentId: string): TeamForm | undefined {
  return findAgent(form, agentId)?.team;
}

export function agentById(form: DesignForm, agentId: string): AgentForm | undefined {
  return findAgent(form, agentId)?.agent;
}
