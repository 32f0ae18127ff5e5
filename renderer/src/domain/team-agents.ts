import type { AgentState, AgentView } from '../../../src/shared/mission.js';
import { isLive } from './agent-query.js';
import { AGENT_STATE_LABELS } from './labels.js';

type AgentsByKey = Readonly<Record<string, AgentView>>;

/**
 * Keys by mission, then team, computed once per `agents` object: every team section's
 * selector runs on every store change, and fifty of them each scanning a thousand agents
 * would cost more than the rows they save. The store replaces `agents` on each batch, so
 * a WeakMap keyed by it never serves a stale index and lets old ones be collected.
 */
const indexes = new WeakMap<AgentsByKey, Map<string, Map<string, string[]>>>();

/** The store keys (`missionId/agentId`) of a mission's agents, by team, in the store's order. */
export function teamAgentKeys(agents: AgentsByKey, missionId: string): ReadonlyMap<string, readonly string[]> {
  let byMission = indexes.get(agents);
  if (!byMission) {
    byMission = new Map();
    for (const [key, agent] of Object.entries(agents)) {
      let byTeam = byMission.get(agent.missionId);
      if (!byTeam) byMission.set(agent.missionId, (byTeam = new Map()));
      const keys = byTeam.get(agent.teamId);
      if (keys) keys.push(key);
      else byTeam.set(agent.teamId, [key]);
    }
    indexes.set(agents, byMission);
  }
  return byMission.get(missionId) ?? EMPTY_MISSION;
}

const EMPTY_MISSION: ReadonlyMap<string, readonly string[]> = new Map();

/** A team's one-line summary. Flat, so useShallow can tell an unchanged one. */
export interface TeamSummary {
  total: number;
  live: number;
  costNanoUsd: number;
  /** "12 working · 3 idle · 5 killed": the states present, in the labels' order. */
  states: string;
}

const STATE_ORDER = Object.keys(AGENT_STATE_LABELS) as AgentState[];

export function teamSummary(agents: AgentsByKey, keys: readonly string[]): TeamSummary {
  const counts = new Map<AgentState, number>();
  let live = 0;
  let costNanoUsd = 0;
  let total = 0;
  for (const key of keys) {
    const agent = agents[key];
    if (!agent) continue;
    total += 1;
    if (isLive(agent)) live += 1;
    costNanoUsd += agent.costNanoUsd;
    counts.set(agent.state, (counts.get(agent.state) ?? 0) + 1);
  }
  const states = STATE_ORDER.flatMap((state) => {
    const n = counts.get(state);
    return n ? [`${n} ${AGENT_STATE_LABELS[state].label.toLocaleLowerCase()}`] : [];
  }).join(' · ');
  return { total, live, costNanoUsd, states };
}
