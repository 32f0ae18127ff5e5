import type { EscalationDecision, MissionLogActor, MissionLogEntry } from '../../shared/mission.js';
import type { AgentRole } from '../../shared/team.js';
import type { LogRow } from '../ledger/mission-repository.js';
import { teamTitle, teamTitlePossessive } from '../../shared/team-label.js';

/** What a log row's ids refer to, read once per page so each row can name its subject. */
export interface LogNames {
  missionName: string;
  agents: ReadonlyMap<string, { name: string; role: AgentRole }>;
  tasks: ReadonlyMap<string, string>;
  escalations: ReadonlyMap<string, { title: string; agentId: string | null }>;
  teams: ReadonlyMap<string, string>;
}

const DECIDED: Record<EscalationDecision, string> = {
  approve: 'approved',
  deny: 'denied',
  reply: 'replied to',
};

// The engine records the person's moves as reasons in their words ("killed by the
// person", "retried by the person"); those are the rows a person caused.
const BY_PERSON = /\bthe person\b/;

const words = (state: string | null): string => (state ?? '').replace(/_/g, ' ');
const quoted = (text: string): string => `“${text.length > 120 ? `${text.slice(0, 119)}…` : text}”`;

function reasonOf(row: LogRow): string | null {
  const reason = row.detail.reason;
  return typeof reason === 'string' && reason !== '' ? reason : null;
}

function actorOf(row: LogRow, names: LogNames): MissionLogActor {
  if (row.kind === 'decision') {
    const by = row.detail.by;
    return by === 'human' ? 'human' : by === 'leader' ? 'leader' : 'engine';
  }
  if (row.kind === 'escalation' && row.fromState === null) {
    const raiser = names.escalations.get(row.subjectId)?.agentId;
    const role = raiser ? names.agents.get(raiser)?.role : undefined;
    return role === undefined ? 'engine' : role === 'leader' ? 'leader' : 'agent';
  }
  // Creating, starting and resuming a mission only happen on the person's command.
  if (
    row.kind === 'mission' &&
    (row.fromState === null || row.fromState === 'draft' || reasonOf(row) === 'resumed')
  )
    return 'human';
  const reason = reasonOf(row);
  return reason !== null && BY_PERSON.test(reason) ? 'human' : 'engine';
}

function subjectNameOf(row: LogRow, names: LogNames): string {
  switch (row.kind) {
    case 'mission':
      return names.missionName;
    case 'agent':
      return names.agents.get(row.subjectId)?.name ?? row.subjectId;
    case 'task':
      return names.tasks.get(row.subjectId) ?? row.subjectId;
    case 'escalation':
    case 'decision':
      return names.escalations.get(row.subjectId)?.title ?? row.subjectId;
    case 'note':
      return names.agents.get(row.subjectId)?.name ?? names.teams.get(row.subjectId) ?? row.subjectId;
  }
}

function summaryOf(row: LogRow, subject: string, names: LogNames): string {
  const reason = reasonOf(row);
  const because = reason ? ` (${reason})` : '';
  switch (row.kind) {
    case 'mission':
      if (row.fromState === null) return 'Mission created';
      return `Mission ${words(row.fromState)} → ${words(row.toState)}${because}`;
    case 'agent':
      if (row.fromState === null) return `${subject} joined`;
      // "killed by the person" reads best as one sentence: "Coder 1 was killed by the person".
      if (row.toState === 'killed' && reason?.startsWith('killed ')) return `${subject} was ${reason}`;
      if (row.toState === 'killed') return `${subject} was killed${because}`;
      return `${subject}: ${words(row.fromState)} → ${words(row.toState)}${because}`;
    case 'task':
      if (row.fromState === null) return `Task ${quoted(subject)} planned`;
      return `Task ${quoted(subject)}: ${words(row.fromState)} → ${words(row.toState)}${because}`;
    case 'escalation': {
      if (row.fromState === null) {
        const raiser = names.escalations.get(row.subjectId)?.agentId;
        const who = raiser ? (names.agents.get(raiser)?.name ?? raiser) : 'The engine';
        return `${who} asked ${row.toState === 'human' ? 'the person' : 'its leader'}: ${quoted(subject)}`;
      }
      if (row.toState === 'human') return `Passed to the person: ${quoted(subject)}${because}`;
      return `Escalation ${quoted(subject)} ${words(row.toState)}${because}`;
    }
    case 'decision': {
      const by = row.detail.by;
      const who =
        by === 'human'
          ? 'The person'
          : by === 'leader'
            ? 'The leader'
            : by === 'timeout'
              ? 'Nobody answered in time:'
              : 'The engine';
      const verb = DECIDED[row.toState as EscalationDecision] ?? words(row.toState);
      const comment =
        typeof row.detail.comment === 'string' && row.detail.comment !== ''
          ? ` — ${quoted(row.detail.comment)}`
          : '';
      const always = row.detail.alwaysAllow === true ? ' (always allow)' : '';
      return `${who} ${verb} ${quoted(subject)}${always}${comment}`;
    }
    case 'note':
      if (typeof row.detail.compacted === 'string') return `${subject}'s older turns were summarised`;
      if (row.detail.plan === true)
        return `${teamTitlePossessive(subject)} plan: ${words(row.fromState)} → ${words(row.toState)}`;
      if (typeof row.detail.steering === 'string') return steeringSummary(row, subject);
      if (typeof row.detail.resolution === 'string') return resolutionSummary(row, subject);
      return `Note about ${subject}`;
  }
}

/** A leader resolving a merge conflict (`conflicts.ts`): started, a refused attempt, landed, passed to the person. */
function resolutionSummary(row: LogRow, subject: string): string {
  const d = row.detail;
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (d.resolution) {
    case 'started':
      return `${s(d.leader)} of ${teamTitle(subject)} is resolving a merge conflict on ${s(d.branch)} (${s(d.why)})`;
    case 'refused':
      return `${teamTitlePossessive(subject)} resolution was refused (attempt ${String(d.attempt)}): ${s(d.problem)}`;
    case 'landed':
      return `${s(d.leader)} resolved the merge conflict: ${quoted(s(d.summary))}`;
    default:
      return `The merge conflict went to the person: ${s(d.reason)}`;
  }
}

/** The person steering a running mission (`steering.ts`), and a leader's reply to a message. */
function steeringSummary(row: LogRow, subject: string): string {
  const d = row.detail;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (d.steering) {
    case 'message':
      return `The person wrote to ${subject}: ${quoted(str(d.text))}`;
    case 'delivered':
      return `${subject} read the person's message`;
    case 'reply':
      return `${subject} replied to the person: ${quoted(str(d.reply))}`;
    case 'priority':
      return `${teamTitlePossessive(subject)} priority set to ${str(d.label) || String(d.weight)}`;
    case 'pause':
      return `${teamTitle(subject)} was paused by the person`;
    case 'resume':
      return `${teamTitle(subject)} was resumed by the person`;
    default:
      return `Note about ${subject}`;
  }
}

/**
 * Turns ledger log rows into what a person reads: who did it, what it is about by name,
 * and one sentence. Pure, so the wording is tested without a mission.
 */
export function describeLogRows(rows: readonly LogRow[], names: LogNames): MissionLogEntry[] {
  return rows.map((row) => {
    const subjectName = subjectNameOf(row, names);
    return {
      id: row.id,
      at: row.at,
      kind: row.kind,
      subjectId: row.subjectId,
      subjectName,
      fromState: row.fromState,
      toState: row.toState,
      actor: actorOf(row, names),
      summary: summaryOf(row, subjectName, names),
    };
  });
}
