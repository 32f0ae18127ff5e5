import { quote } from './quote.js';

/**
 * Phases: a team may start only after other teams (`after`), whose work it builds on. A
 * team's phase is 1 without dependencies, else one more than the latest phase it waits
 * for; teams of one phase run together. Kept free of zod so the designer, the engine and
 * the design schema share one rule.
 */

interface PhasedTeam {
  id: string;
  name: string;
  after?: readonly string[] | undefined;
}

/** Why these teams' `after` links cannot run (an unknown team, itself, a repeat, a circle), or null. */
export function phaseProblem(teams: readonly PhasedTeam[]): { team: number; message: string } | null {
  const byId = new Map(teams.map((t) => [t.id, t]));
  for (const [i, team] of teams.entries()) {
    const seen = new Set<string>();
    for (const id of team.after ?? []) {
      if (id === team.id) return { team: i, message: `team "${team.name}" cannot start after itself` };
      if (!byId.has(id)) return { team: i, message: `team "${team.name}" starts after an unknown team ${quote(id)}` };
      if (seen.has(id)) return { team: i, message: `team "${team.name}" names team "${byId.get(id)?.name}" twice in "starts after"` };
      seen.add(id);
    }
  }
  const cycle = findCycle(teams, byId);
  if (cycle) {
    const names = cycle.map((id) => `"${byId.get(id)?.name ?? id}"`).join(' → ');
    return {
      team: teams.findIndex((t) => t.id === cycle[0]),
      message: `teams wait on each other in a circle (${names}), so none of them could start; remove one of these "starts after" links`,
    };
  }
  return null;
}

/** Each team's phase (1 = starts at once). Teams caught in a circle, which the schema refuses, get none. */
export function teamPhases(teams: readonly PhasedTeam[]): Map<string, number> {
  const byId = new Map(teams.map((t) => [t.id, t]));
  const phases = new Map<string, number>();
  const visiting = new Set<string>();
  const phaseOf = (id: string): number | null => {
    const known = phases.get(id);
    if (known !== undefined) return known;
    const team = byId.get(id);
    if (!team || visiting.has(id)) return null;
    visiting.add(id);
    let phase = 1;
    for (const dep of team.after ?? []) {
      const p = phaseOf(dep);
      if (p === null) {
        visiting.delete(id);
        return null;
      }
      phase = Math.max(phase, p + 1);
    }
    visiting.delete(id);
    phases.set(id, phase);
    return phase;
  };
  for (const team of teams) phaseOf(team.id);
  return phases;
}

/** The first circle of `after` links found, as team ids from a team back to itself. */
function findCycle(teams: readonly PhasedTeam[], byId: Map<string, PhasedTeam>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const dep of byId.get(id)?.after ?? []) {
      if (!byId.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const team of teams) {
    const found = visit(team.id);
    if (found) return found;
  }
  return null;
}
