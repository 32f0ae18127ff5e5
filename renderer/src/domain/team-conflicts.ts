import type { EscalationView } from '../../../src/shared/mission.js';

/**
 * Teams whose leader is resolving a merge conflict now: the open `merge_conflict`
 * escalations at level `leader` (the engine's record of a resolution in progress; the
 * Inbox shows only the person's). Sorted team ids, so a shallow compare keeps renders quiet.
 */
export function resolvingTeamIds(escalations: readonly EscalationView[], missionId: string): string[] {
  const ids = new Set<string>();
  for (const e of escalations) {
    if (e.missionId === missionId && e.type === 'merge_conflict' && e.level === 'leader' && e.state === 'open' && e.teamId) ids.add(e.teamId);
  }
  return [...ids].sort();
}
