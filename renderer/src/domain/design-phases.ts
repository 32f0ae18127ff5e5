import { phaseProblem, teamPhases } from '../../../src/shared/phases.js';
import { boardOrder, relayout, type DesignForm, type TeamForm } from './design-form.js';

/**
 * Phases in the designer: which teams start after which, as pure functions of the form.
 * The card's checklist, the inspector, the card menu and the rules' fixes all go through
 * `setAfter`, so a circle is refused the same way whichever control the person used.
 */

const nameOf = (team: Pick<TeamForm, 'name'>) => team.name.trim() || 'Unnamed team';

/** The teams in the shape shared/phases.ts reads, named as the person sees them. */
function phased(teams: readonly TeamForm[]) {
  return teams.map((t) => ({ id: t.id, name: nameOf(t), after: t.after }));
}

/** Each team's phase (1 = starts at once), by team id. */
export function formPhases(form: Pick<DesignForm, 'teams'>): Map<string, number> {
  return teamPhases(phased(form.teams));
}

/**
 * Why `teamId` cannot start after `after` (phaseProblem's message: a circle, itself, an
 * unknown team), or null when it can.
 */
export function afterProblem(form: DesignForm, teamId: string, after: readonly string[]): string | null {
  const teams = form.teams.map((t) => (t.id === teamId ? { ...t, after: [...after] } : t));
  return phaseProblem(phased(teams))?.message ?? null;
}

/**
 * Sets the teams `teamId` starts after. A change that would make teams wait on each other
 * in a circle is refused: the form comes back unchanged (check `afterProblem` for why).
 * The board is re-slotted so cards stay grouped by phase.
 */
export function setAfter(form: DesignForm, teamId: string, after: readonly string[]): DesignForm {
  const team = form.teams.find((t) => t.id === teamId);
  if (!team || afterProblem(form, teamId, after) !== null) return form;
  // Board order, so the same choice is the same form whatever order it was clicked in.
  const order = boardOrder(form).map((t) => t.id);
  const next = order.filter((id) => after.includes(id));
  if (JSON.stringify(next) === JSON.stringify(team.after)) return form;
  const teams = form.teams.map((t) => (t.id === teamId ? { ...t, after: next } : t));
  return { ...form, teams: relayout(boardOrder({ teams })) };
}

/** The `after` list of `teamId` with `otherId` added or taken away. */
export function toggledAfter(form: DesignForm, teamId: string, otherId: string, on: boolean): string[] {
  const current = form.teams.find((t) => t.id === teamId)?.after ?? [];
  return on ? [...current.filter((id) => id !== otherId), otherId] : current.filter((id) => id !== otherId);
}

/** The names of the teams `team` waits for, in board order. */
export function waitsFor(form: Pick<DesignForm, 'teams'>, team: TeamForm): string[] {
  return boardOrder(form)
    .filter((t) => team.after.includes(t.id))
    .map(nameOf);
}

/** "Phase 2 · after Infra, Workers" or "Phase 1 · starts at once", as the card shows it. */
export function phaseLabel(
  form: Pick<DesignForm, 'teams'>,
  team: TeamForm,
  phases = formPhases(form),
): string {
  const phase = phases.get(team.id);
  const head = phase === undefined ? 'No phase' : `Phase ${phase}`;
  const names = waitsFor(form, team);
  return names.length === 0 ? `${head} · starts at once` : `${head} · after ${names.join(', ')}`;
}

export interface PhaseGroup {
  phase: number;
  teams: TeamForm[];
}

/** The board's teams grouped by phase, phases ascending, board order within each. */
export function phaseGroups(form: Pick<DesignForm, 'teams'>): PhaseGroup[] {
  const phases = formPhases(form);
  const groups: PhaseGroup[] = [];
  for (const team of boardOrder(form)) {
    const phase = phases.get(team.id) ?? 0;
    const last = groups[groups.length - 1];
    if (last && last.phase === phase) last.teams.push(team);
    else groups.push({ phase, teams: [team] });
  }
  return groups;
}
