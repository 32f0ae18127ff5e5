import type { EscalationType, EscalationView, MissionDetail, TaskView } from '../../../src/shared/mission.js';
import { scopedKey } from '../../../src/shared/team-label.js';

/** Pure helpers of the inbox: what shows, in which order, and how its numbers read. */

export type InboxView = 'open' | 'decided';

export interface InboxFilter {
  missionId: string | null;
  /** A team of a mission, as `scopedKey(missionId, teamId)`: a design's team ids repeat in each of its missions. */
  teamKey: string | null;
  type: EscalationType | null;
  view: InboxView;
}

export const EMPTY_FILTER: InboxFilter = { missionId: null, teamKey: null, type: null, view: 'open' };

export const TYPE_LABELS: Record<EscalationType, string> = {
  question: 'Question',
  permission: 'Command',
  plan_approval: 'Plan approval',
  budget: 'Budget',
  stall: 'Stalled',
  dead_letter: 'Failed task',
  merge_conflict: 'Merge conflict',
  final_merge: 'Final merge',
  mission_brief: 'Director\'s draft',
};

/** Open and addressed to the person (leaders handle the rest among themselves). */
export function needsPerson(e: EscalationView): boolean {
  return e.state === 'open' && e.level === 'human';
}

const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

/** The items the list shows for `filter`, newest first (decided ones by when they were decided). */
export function inboxItems(all: readonly EscalationView[], filter: InboxFilter): EscalationView[] {
  const items = all.filter(
    (e) =>
      (filter.view === 'open' ? needsPerson(e) : e.state !== 'open') &&
      (filter.missionId === null || e.missionId === filter.missionId) &&
      (filter.teamKey === null || (e.teamId !== null && scopedKey(e.missionId, e.teamId) === filter.teamKey)) &&
      (filter.type === null || e.type === filter.type),
  );
  const at = (e: EscalationView) => (filter.view === 'decided' ? (e.decidedAt ?? e.createdAt) : e.createdAt);
  return items.sort((a, b) => newestFirst(at(a), at(b)) || newestFirst(a.id, b.id));
}

/** Open items for the person not yet looked at. */
export function unreadCount(all: readonly EscalationView[], seen: ReadonlySet<string>): number {
  let n = 0;
  for (const e of all) if (needsPerson(e) && !seen.has(e.id)) n++;
  return n;
}

/**
 * What the navigation counts: every open item that needs the person, read or not (an item
 * looked at still waits for its decision), and how many of them are new.
 */
export function needsYouCount(all: readonly EscalationView[], seen: ReadonlySet<string>): { total: number; unread: number } {
  let total = 0;
  let unread = 0;
  for (const e of all) {
    if (!needsPerson(e)) continue;
    total++;
    if (!seen.has(e.id)) unread++;
  }
  return { total, unread };
}

/** "3 need you, 1 new": the badge's words, for a screen reader and its tooltip. */
export function needsYouLabel(count: { total: number; unread: number }): string {
  const base = `${count.total} ${count.total === 1 ? 'needs' : 'need'} you`;
  return count.unread > 0 ? `${base}, ${count.unread} new` : base;
}

/** Keeps seen ids of escalations that still exist, newest last, at most `max`. */
export function pruneSeen(seen: readonly string[], existing: ReadonlySet<string>, max = 2_000): string[] {
  return seen.filter((id) => existing.has(id)).slice(-max);
}

/** "4:05", "1 h 05 min", or "now" once the deadline passed. */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return 'now';
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** "3 min ago"-style age for list rows. */
export function formatAge(iso: string, now: number): string {
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(sec)) return '';
  if (sec < 60) return 'just now';
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)} h ago`;
  return `${Math.floor(sec / 86_400)} d ago`;
}

export interface BudgetNumbers {
  scope: 'mission' | 'team' | 'agent';
  scopeId: string;
  capNano: number;
  spentNano: number;
  worstCaseNano: number;
}

/** The numbers a budget escalation carries, or null when its payload has none. */
export function budgetNumbers(payload: Record<string, unknown>): BudgetNumbers | null {
  const { scope, scopeId, capNano, spentNano, worstCaseNano } = payload;
  if (scope !== 'mission' && scope !== 'team' && scope !== 'agent') return null;
  if (typeof capNano !== 'number' || typeof spentNano !== 'number' || typeof worstCaseNano !== 'number') return null;
  return { scope, scopeId: typeof scopeId === 'string' ? scopeId : '', capNano, spentNano, worstCaseNano };
}

/** The smallest cap that lets the refused call through: spent plus its worst case. */
export function minimumCapNano(b: BudgetNumbers): number {
  return b.spentNano + b.worstCaseNano;
}

/** A string field of the payload, when present. */
export function payloadText(payload: Record<string, unknown>, key: string): string | null {
  const value = payload[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A list of strings in the payload (merge conflicts' files). */
export function payloadList(payload: Record<string, unknown>, key: string): string[] {
  const value = payload[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export interface PlanTeam {
  teamId: string;
  name: string;
  summary: string | null;
  tasks: TaskView[];
}

/** The plan awaiting approval: each team's planned tasks, in plan order. */
export function planOf(detail: MissionDetail): PlanTeam[] {
  return detail.teams.map((team) => ({
    teamId: team.id,
    name: team.name,
    summary: team.planSummary,
    tasks: detail.tasks.filter((t) => t.teamId === team.id && t.state === 'planned'),
  }));
}

/** What happens when the deadline passes, from the mission's settings. */
export function timeoutAction(detail: MissionDetail | undefined, type: EscalationType): 'approve' | 'deny' | null {
  return detail?.mission.settings.escalationTimeouts[type]?.action ?? null;
}

/** Dollars typed by a person to nano-dollars; null when not a valid non-negative amount. */
export function dollarsToNano(text: string): number | null {
  const trimmed = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (!/^\d+(\.\d{1,9})?$/.test(trimmed)) return null;
  const [whole = '0', frac = ''] = trimmed.split('.');
  const nano = Number(whole) * 1_000_000_000 + Number(frac.padEnd(9, '0'));
  return Number.isSafeInteger(nano) ? nano : null;
}
