import type { AgentState, AgentView, MissionTeamView, TaskView } from '../../../src/shared/mission.js';
import type { AgentRole } from '../../../src/shared/team.js';
import { BUSY_AGENT_STATES, FINAL_AGENT_STATES } from './labels.js';

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

/** The search words of a query's text, lower-cased once rather than per agent. */
function searchWords(text: string): string[] {
  const trimmed = text.trim().toLocaleLowerCase();
  return trimmed ? trimmed.split(/\s+/) : [];
}

function matches(agent: AgentView, query: AgentQuery, words: readonly string[], lookups: AgentLookups): boolean {
  if (query.missionId && agent.missionId !== query.missionId) return false;
  if (query.team && `${agent.missionId}/${agent.teamId}` !== query.team) return false;
  if (query.role && agent.role !== query.role) return false;
  if (query.state === 'live' ? !isLive(agent) : query.state && agent.state !== query.state) return false;
  if (words.length === 0) return true;
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
  return words.every((word) => haystack.includes(word));
}

/**
 * Collation order as integers: equal ranks for strings the collator calls equal. A
 * table sort compares its tie-breaking names thousands of times, and `Intl.Collator`
 * costs far more per call than comparing two numbers; names, models, teams and task
 * labels rarely change, so each column's ranks are collated again only when a string
 * it has not seen turns up.
 */
export class CollationRanks {
  private ranks = new Map<string, number>();

  of(values: readonly string[]): ReadonlyMap<string, number> {
    if (values.every((v) => this.ranks.has(v))) return this.ranks;
    const sorted = [...new Set(values)].sort(collator.compare);
    const ranks = new Map<string, number>();
    let rank = 0;
    sorted.forEach((v, i) => {
      if (i > 0 && collator.compare(sorted[i - 1] as string, v) !== 0) rank += 1;
      ranks.set(v, rank);
    });
    this.ranks = ranks;
    return ranks;
  }
}

type TextSortKey = 'team' | 'model' | 'task';
const nameRanks = new CollationRanks();
const textRanks: Record<TextSortKey, CollationRanks> = {
  team: new CollationRanks(),
  model: new CollationRanks(),
  task: new CollationRanks(),
};
const isTextSortKey = (key: AgentSortKey): key is TextSortKey => key in textRanks;

/** The text a column sorts by, for the columns that sort by collated text. */
function sortText(agent: AgentView, key: TextSortKey, lookups: AgentLookups): string {
  if (key === 'model') return agent.model;
  if (key === 'team') return lookups.teams(agent.missionId, agent.teamId)?.name ?? agent.teamId;
  // Agents without a task sort as the empty label: first ascending, a predictable place.
  return agent.currentTaskId ? taskLabel(lookups.task(agent.missionId, agent.currentTaskId)) : '';
}

/** What a column sorts by, for the columns that sort by a number. */
function sortNumber(agent: AgentView, key: Exclude<AgentSortKey, 'name' | TextSortKey>): number {
  switch (key) {
    case 'role':
      return ROLE_ORDER[agent.role];
    case 'state':
      return STATE_ORDER[agent.state];
    case 'inputTokens':
      return agent.inputTokens;
    case 'outputTokens':
      return agent.outputTokens;
    case 'cost':
      return agent.costNanoUsd;
    case 'lastActivity':
    case 'idle': {
      const at = Date.parse(agent.lastActivityAt);
      if (Number.isNaN(at)) return -Infinity;
      // Longer idle = earlier last activity; agents that are not idle count as zero idle.
      if (key === 'idle') return agent.state === 'idle' ? -at : -Infinity;
      return at;
    }
  }
}

/** Whether a query or sort reads team and task names (a text search, the team and task columns). */
export function readsLookups(query: AgentQuery, sort: AgentSort): boolean {
  return searchWords(query.text).length > 0 || sort.key === 'team' || sort.key === 'task';
}

/** Not `a - b`: two -Infinity sort values would give NaN. */
const compareNumbers = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The keys of the agents to show, filtered and sorted. Pure (the rank caches only make
 * it faster), so it can run inside a store selector: the array is new each time, its
 * contents only change when a row moves, appears or goes. Each row's sort values are
 * worked out once, so the sort itself compares numbers.
 */
export function visibleAgentKeys(
  agents: Record<string, AgentView>,
  query: AgentQuery,
  sort: AgentSort,
  lookups: AgentLookups,
): string[] {
  const words = searchWords(query.text);
  const shown = Object.entries(agents).filter(([, agent]) => matches(agent, query, words, lookups));
  const names = nameRanks.of(shown.map(([, a]) => a.name));
  const key = sort.key;
  let by: (agent: AgentView) => number;
  if (key === 'name') by = (a) => names.get(a.name)!;
  else if (isTextSortKey(key)) {
    const ranks = textRanks[key].of(shown.map(([, a]) => sortText(a, key, lookups)));
    by = (a) => ranks.get(sortText(a, key, lookups))!;
  } else by = (a) => sortNumber(a, key);
  const rows = shown.map(([k, a]) => ({ key: k, by: by(a), name: names.get(a.name)! }));
  const sign = sort.dir === 'asc' ? 1 : -1;
  rows.sort((a, b) => sign * compareNumbers(a.by, b.by) || a.name - b.name || a.key.localeCompare(b.key));
  return rows.map((r) => r.key);
}

/** The figures in the Agents page's header, for one mission or all. Flat, so useShallow can tell an unchanged one. */
export interface AgentTotals {
  total: number;
  live: number;
  /** Working, or waiting on a tool or the rate limiter. */
  working: number;
  idle: number;
  costNanoUsd: number;
}

export function agentTotals(agents: Record<string, AgentView>, missionId: string): AgentTotals {
  const out: AgentTotals = { total: 0, live: 0, working: 0, idle: 0, costNanoUsd: 0 };
  for (const a of Object.values(agents)) {
    if (missionId && a.missionId !== missionId) continue;
    out.total++;
    out.costNanoUsd += a.costNanoUsd;
    if (isLive(a)) out.live++;
    if (BUSY_AGENT_STATES.includes(a.state)) out.working++;
    if (a.state === 'idle') out.idle++;
  }
  return out;
}
