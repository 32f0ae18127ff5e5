/**
 * Steering a running mission: what the person may change while its teams work (a message
 * to a leader, a team's priority, coders added or removed, a team paused). Shared by the
 * contract, the engine and the UI so the three agree on the limits and the names.
 */

/** A team's fair share of the rate limiter, relative to the other teams (1 = an equal share). */
export const TEAM_WEIGHT_MIN = 0.25;
export const TEAM_WEIGHT_MAX = 4;
export const TEAM_WEIGHT_DEFAULT = 1;

/** The longest message the person may send a leader, in characters. */
export const STEERING_MESSAGE_MAX = 8_000;

/** The named priorities the UI offers; any weight in [TEAM_WEIGHT_MIN, TEAM_WEIGHT_MAX] is valid. */
export const TEAM_PRIORITY_LEVELS = [
  { label: 'Low', weight: 0.5 },
  { label: 'Normal', weight: 1 },
  { label: 'High', weight: 2 },
  { label: 'Top', weight: 4 },
] as const;

/** "High (×2)", or "×1.5" for a weight between the named levels. */
export function priorityLabel(weight: number): string {
  const level = TEAM_PRIORITY_LEVELS.find((l) => l.weight === weight);
  const factor = `×${Number(weight.toFixed(2))}`;
  return level ? `${level.label} (${factor})` : factor;
}

/** A message from the person to a leader, and whether it reached the leader yet. */
export interface SteeringMessageView {
  id: number;
  missionId: string;
  teamId: string;
  /** The leader it is for. */
  agentId: string;
  text: string;
  createdAt: string;
  /** When it was added to the leader's conversation; null while it waits for its next turn. */
  deliveredAt: string | null;
}

/** A team of an unfinished mission and its priority, as the Costs screen's gauges show it. */
export interface TeamPriorityView {
  missionId: string;
  missionName: string;
  teamId: string;
  teamName: string;
  weight: number;
  paused: boolean;
}
