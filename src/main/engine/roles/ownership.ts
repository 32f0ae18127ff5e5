import { teamPhases } from '../../../shared/phases.js';
import { findOverlaps, firstOverlap, normaliseOwnedPath } from '../../../shared/ownership.js';
import type { EscalationRecord, TaskRecord } from '../../ledger/mission-repository.js';
import type { MissionHost } from '../mission-host.js';
import type { TeamRt } from '../runtime-types.js';
import { teamTitle } from '../../../shared/team-label.js';

/**
 * Ownership as a leader meets it. At plan time: no path may belong to two tasks, of its
 * own team or of a team that works in the same phase (teams of different phases never
 * work at once, and the later one builds on the earlier one's files), so `create_task`
 * and `submit_plan` refuse overlapping `owns` with the tasks named, before the person sees
 * the plan. At work time: a coder's write outside its task's paths, under the mission's
 * 'ask_leader' policy, is a question its leader answers (`writeRequestPrompt`). The rule
 * itself is `shared/ownership.ts`; the write check is the permission policy's.
 */

/** A task as the plan check sees it. */
type Planned = Pick<TaskRecord, 'id' | 'key' | 'title' | 'teamId' | 'owns'>;

const quote = (text: string, max = 120): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Each team's phase in this mission: its own `after` links (the mission's copy, which the
 * director may have changed) when the mission has them, else the design's.
 */
function phases(h: MissionHost): Map<string, number> {
  const design = new Map(h.mission.design.teams.map((t) => [t.id, t.after]));
  return teamPhases(
    [...h.teams.values()].map((t) => ({
      id: t.rec.id,
      name: t.rec.name,
      // Read structurally: missions from before phases have no copy of their own.
      after: (t.rec as { after?: readonly string[] | null }).after ?? design.get(t.rec.id) ?? [],
    })),
  );
}

/**
 * The tasks a team's plan must not overlap: its own tasks of this plan round, and the
 * standing tasks (not cancelled or given up) of the other teams of its phase.
 */
function rivals(h: MissionHost, team: TeamRt): Planned[] {
  const phaseOf = phases(h);
  const phase = phaseOf.get(team.rec.id) ?? 1;
  const others = [...h.tasks.values()].filter(
    (t) => t.teamId !== team.rec.id && t.state !== 'cancelled' && t.state !== 'dead_letter' && (phaseOf.get(t.teamId) ?? 1) === phase,
  );
  return [...h.teamTasks(team), ...others];
}

function ownerName(h: MissionHost, team: TeamRt, task: Planned): string {
  const where = task.teamId === team.rec.id ? 'of your team' : `of ${teamTitle(h.teams.get(task.teamId)?.rec.name ?? task.teamId)}, which works in the same phase`;
  return `task ${quote(task.key, 40)} (${quote(task.title, 80)}) ${where}`;
}

function remedy(h: MissionHost, team: TeamRt, other: Planned): string {
  return other.teamId === team.rec.id
    ? `Each path belongs to one task: narrow this task's owns, or leave that work to ${quote(other.key, 40)}.`
    : `Each path belongs to one team's task: leave it to ${teamTitle(h.teams.get(other.teamId)?.rec.name ?? other.teamId)} and narrow this task's owns.`;
}

/**
 * Why a task about to be created cannot own what it asks for: a path outside the
 * repository, or one that overlaps a path another task of the team or of a team of the
 * same phase owns. Null when it may.
 */
export function newTaskOwnsProblem(h: MissionHost, team: TeamRt, task: { key: string; owns: readonly string[] }): string | null {
  const outside = task.owns.find((p) => normaliseOwnedPath(p) === null);
  if (outside !== undefined) return `owns ${quote(outside)} is not a path inside the repository; give paths relative to its root, such as "src/api/"`;
  for (const other of rivals(h, team)) {
    const meet = firstOverlap(task.owns, other.owns);
    if (!meet) continue;
    return (
      `task ${quote(task.key, 40)} would own ${quote(meet.pathA)}, which overlaps ${quote(meet.pathB)}, owned by ${ownerName(h, team, other)}. ` +
      remedy(h, team, other)
    );
  }
  return null;
}

/**
 * Why a team's plan cannot be submitted for its owned paths: every pair of its tasks, or
 * of one of its tasks and a task of a team of the same phase, whose paths overlap (the
 * first few, each with both tasks and the paths that meet). Null when none do.
 */
export function planOwnsProblem(h: MissionHost, team: TeamRt): string | null {
  const mine = (t: Planned): boolean => t.teamId === team.rec.id;
  const overlaps = findOverlaps(rivals(h, team), (a, b) => mine(a) || mine(b));
  if (overlaps.length === 0) return null;
  const lines = overlaps.slice(0, 5).map(({ a, b, pathA, pathB }) => {
    const [own, other, ownPath, otherPath] = mine(a) ? [a, b, pathA, pathB] : [b, a, pathB, pathA];
    return `- task ${quote(own.key, 40)} owns ${quote(ownPath)}, which overlaps ${quote(otherPath)} of ${ownerName(h, team, other)}`;
  });
  const more = overlaps.length > 5 ? [`…and ${overlaps.length - 5} more`] : [];
  return ['The plan gives the same paths to more than one task:', ...lines, ...more, 'Each path must belong to one task before the plan is submitted.'].join('\n');
}

/** Whether an escalation is a coder's write outside its task's paths, which its leader allows or refuses. */
export function isWriteRequest(e: EscalationRecord): boolean {
  return e.type === 'permission' && typeof e.payload.ownership === 'object' && e.payload.ownership !== null;
}

/** The leader's brief for a write request: who asks, for which path, whose path it is. */
export function writeRequestPrompt(e: EscalationRecord, coderName: string, task: TaskRecord | undefined): string {
  const asked = e.payload.ownership as { path?: unknown; owner?: unknown };
  return [
    `From: ${coderName}`,
    `Task: ${task ? `${task.key} — ${task.title}` : '(none)'}`,
    `Owns: ${task && task.owns.length > 0 ? task.owns.join(', ') : '(nothing)'}`,
    `Asks to write: ${String(asked.path)}`,
    `Whose path: ${typeof asked.owner === 'string' ? asked.owner : 'no task owns it'}`,
    '',
    `${coderName} wants to write outside the paths its task owns, which could collide with another task's work.`,
    'Allow it with allow_write if the task needs it and nobody else will change that file; refuse it with refuse_write,',
    'saying what to do instead; or pass it to the person with escalate_to_human.',
  ].join('\n');
}
