import type { AgentState, AgentView, MissionTeamView, TaskView } from '../../../../src/shared/mission.js';
import type { AgentRole } from '../../../../src/shared/team.js';
import { FINAL_AGENT_STATES } from '../missions/labels.js';

/** What the agents table shows: every filter is optional ('' = any). */
export interface AgentQuery {
  text: string;
  missionId: string;
  /** `missionId/teamId`: team ids are only unique within a mission. */
  team: string;
  role: AgentRole | '';
  /** A state, or 'live' for every agent that can still run. */
  state: AgentState | 'live' | '';
}

export const AGENT_SORT_KEYS = [
  'name',
  'team',
  'role',
  'model',
  'state',
  'task',
  'inputTokens',
  'outputTokens',
  'cost',
  'lastActivity',
  'idle',
] as const;
export type AgentSortKey = (typeof AGENT_SORT_KEYS)[number];

export interface AgentSort {
  key: AgentSortKey;
  dir: 'asc' | 'desc';
}

export const EMPTY_AGENT_QUERY: AgentQuery = { text: '', missionId: '', team: '', role: '', state: '' };

/** Numbers read best biggest-first; names alphabetically. */
export const DEFAULT_SORT_DIR: Record<AgentSortKey, 'asc' | 'desc'> = {
  name: 'asc',
  team: 'asc',
  role: 'asc',
  model: 'asc',
  state: 'asc',
  task: 'asc',
  inputTokens: 'desc',
  outputTokens: 'desc',
  cost: 'desc',
  lastActivity: 'desc',
  idle: 'desc',
};

/** Where names of teams and tasks come from: the loaded missions' detail. */
export interface AgentLookups {
  teams: (missionId: string, teamId: string) => MissionTeamView | undefined;
  task: (missionId: string, taskId: string) => TaskView | undefined;
}

const ROLE_ORDER: Record<AgentRole, number> = { leader: 0, coder: 1, reviewer: 2, researcher: 3 };
// Attention first: stuck or waiting agents above working ones, finished ones last.
const STATE_ORDER: Record<AgentState, number> = {
  waiting_escalation: 0,
  failed: 1,
  waiting_limiter: 2,
  working: 3,
  waiting_tool: 4,
  starting: 5,
  idle: 6,
  done: 7,
  killed: 8,
};

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function isLive(agent: Pick<AgentView, 'state'>): boolean {
  return !FINAL_AGENT_STATES.includes(agent.state);
}

/** Seconds since the agent's last activity while it is idle; null in any other state. */
export function idleSeconds(agent: Pick<AgentView, 'state' | 'lastActivityAt'>, nowMs: number): number | null {
  if (agent.state !== 'idle') return null;
  const at = Date.parse(agent.lastActivityAt);
  return Number.isNaN(at) ? null : Math.max(0, (nowMs - at) / 1000);
}

export function taskLabel(task: TaskView | undefined): string {
  return task ? `${task.key} ${task.title}` : '';
}

function matches(agent: AgentView, query: AgentQuery, lookups: AgentLookups): boolean {
  if (query.missionId && agent.missionId !== query.missionId) return false;
  if (query.team && `${agent.missionId}/${agent.teamId}` !== query.team) return false;
  if (query.role && agent.role !== query.role) return false;
  if (query.state === 'live' ? !isLive(agent) : query.state && agent.state !== query.state) return false;
  const text = query.text.trim().toLocaleLowerCase();
  if (!text) return true;
  const task = agent.currentTaskId ? lookups.task(agent.missionId, agent.currentTaskId) : undefined;
  const haystack = [
    agent.name,
    agent.model,
    agent.role,
    agent.state,
    lookups.teams(agent.missionId, agent.teamId)?.name ?? '',
    taskLabel(task),
    agent.stateReason ?? '',
  ]
    .join('\n')
    .toLocaleLowerCase();
  return text.split(/\s+/).every((word) => haystack.includes(word));
}

function compare(a: AgentView, b: AgentView, key: AgentSortKey, lookups: AgentLookups): number {
  switch (key) {
    case 'name':
      return collator.compare(a.name, b.name);
    case 'team':
      return collator.compare(lookups.teams(a.missionId, a.teamId)?.name ?? a.teamId, lookups.teams(b.missionId, b.teamId)?.name ?? b.teamId);
    case 'role':
      return ROLE_ORDER[a.role] - ROLE_ORDER[b.role];
    case 'model':
      return collator.compare(a.model, b.model);
    case 'state':
      return STATE_ORDER[a.state] - STATE_ORDER[b.state];
    case 'task': {
      const ta = a.currentTaskId ? taskLabel(lookups.task(a.missionId, a.currentTaskId)) : '';
      const tb = b.currentTaskId ? taskLabel(lookups.task(b.missionId, b.currentTaskId)) : '';
      // Agents without a task go last whichever way the column is sorted would be nicer,
      // but a stable, predictable order matters more: empty sorts first ascending.
      return collator.compare(ta, tb);
    }
    case 'inputTokens':
      return a.inputTokens - b.inputTokens;
    case 'outputTokens':
      return a.outputTokens - b.outputTokens;
    case 'cost':
      return a.costNanoUsd - b.costNanoUsd;
    case 'lastActivity':
      return a.lastActivityAt.localeCompare(b.lastActivityAt);
    case 'idle': {
      // Longer idle = earlier last activity; agents that are not idle count as zero idle.
      const ia = a.state === 'idle' ? -Date.parse(a.lastActivityAt) : -Infinity;
      const ib = b.state === 'idle' ? -Date.parse(b.lastActivityAt) : -Infinity;
      return ia === ib ? 0 : ia < ib ? -1 : 1;
    }
  }
}

/**
 * The keys of the agents to show, filtered and sorted. Pure, so it can run inside a
 * store selector (wrapped in useShallow: the array is new each time, its contents only
 * change when a row moves, appears or goes).
 */
export function visibleAgentKeys(
  agents: Record<string, AgentView>,
  query: AgentQuery,
  sort: AgentSort,
  lookups: AgentLookups,
): string[] {
  const rows: [string, AgentView][] = [];
  for (const [key, agent] of Object.entries(agents)) if (matches(agent, query, lookups)) rows.push([key, agent]);
  const sign = sort.dir === 'asc' ? 1 : -1;
  rows.sort(
    ([ka, a], [kb, b]) =>
      sign * compare(a, b, sort.key, lookups) || collator.compare(a.name, b.name) || ka.localeCompare(kb),
  );
  return rows.map(([key]) => key);
}
