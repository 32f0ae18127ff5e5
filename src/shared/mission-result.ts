import type {
  EscalationDecision,
  EscalationType,
  MissionResultKind,
  MissionState,
  MissionSummary,
  TaskState,
  TeamPhaseState,
} from './mission.js';

/**
 * A finished (or running) mission's result, as `missions:get-result` answers it and the
 * headless `run --json` prints it last: what was delivered (the leaders' summaries, the
 * files, the commits per team and coder), the tests' final output, cost and time per team
 * and per task from the calls ledger, and the escalations with how they were decided.
 * Everything comes from the ledger (and git, for the commits, where the branch is still
 * there); money is nano-dollars.
 */
export interface MissionResult {
  missionId: string;
  name: string;
  goal: string;
  state: MissionState;
  /** How it ended; null while it runs. */
  resultKind: MissionResultKind | null;
  /** The same, in a few words a person reads ("Merged into main", "Final merge declined"). */
  headline: string;
  /** The engine's one line on what became of it (why it failed, where the merge went). */
  outcome: string | null;
  baseBranch: string;
  missionBranch: string | null;
  /** The base branch's commit after the final merge, when merged. */
  finalCommit: string | null;
  /** The pull request opened for it, when the final merge was answered with one. */
  pullRequestUrl: string | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /** Every file any team changed, with the teams that changed it. */
  files: MissionResultFile[];
  teams: MissionResultTeam[];
  tasks: MissionResultTask[];
  /** Commits the agents made, oldest first. */
  commits: MissionResultCommit[];
  /** Where `commits` came from: the mission branch's git log, or (branch gone) the tasks' merged commits. */
  commitsSource: 'git' | 'tasks';
  /** Commits and merged tasks per coder. */
  coders: MissionResultCoder[];
  cost: MissionResultCost;
  /** The tests run on the mission branch before the final merge was asked for; null when none ran. */
  finalTests: MissionResultTests | null;
  escalations: MissionResultEscalation[];
}

export interface MissionResultFile {
  path: string;
  /** Names of the teams that changed it. */
  teams: string[];
  /** Lines added and deleted by those teams (git's numstat); null for a binary file or when git cannot tell. */
  additions: number | null;
  deletions: number | null;
}

export interface MissionResultTeam {
  id: string;
  name: string;
  phaseState: TeamPhaseState;
  /** The mission branch's commit right after its merge. */
  mergedCommit: string | null;
  /** What the team delivered: its leader's summary, or (`summarySource` 'fallback') its tasks' own. */
  summary: string | null;
  summarySource: 'leader' | 'fallback' | null;
  /** Why the fallback was used (the leader's call failed, its reply was malformed). */
  summaryNote: string | null;
  files: string[];
  tasksMerged: number;
  tasksTotal: number;
  costNanoUsd: number;
  /** The part of `costNanoUsd` not attributed to one task (planning, integration, the summary). */
  untaskedCostNanoUsd: number;
  calls: number;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

export interface MissionResultTask {
  id: string;
  teamId: string;
  key: string;
  title: string;
  state: TaskState;
  /** The coder it was last assigned to, by name. */
  assignee: string | null;
  attempts: number;
  submissionSummary: string | null;
  mergedCommit: string | null;
  costNanoUsd: number;
  calls: number;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

export interface MissionResultCommit {
  sha: string;
  subject: string;
  /** The git author's name (agents commit under their own names). */
  author: string;
  agentId: string | null;
  teamId: string | null;
  at: string | null;
}

export interface MissionResultCoder {
  agentId: string;
  name: string;
  teamId: string;
  commits: number;
  tasksMerged: number;
  costNanoUsd: number;
}

export interface MissionResultCost {
  /** Every call of the mission: the calls ledger's total. */
  totalNanoUsd: number;
  /** Calls of no team (the director). */
  unattributedNanoUsd: number;
  calls: number;
}

export interface MissionResultTests {
  command: string;
  exitCode: number | null;
  passed: boolean;
  output: string;
  truncated: boolean;
  headCommit: string | null;
  endedAt: string;
}

export interface MissionResultEscalation {
  id: string;
  type: EscalationType;
  title: string;
  level: 'leader' | 'human';
  state: 'open' | 'resolved' | 'cancelled';
  decision: EscalationDecision | null;
  decidedBy: 'human' | 'leader' | 'timeout' | 'engine' | null;
  comment: string | null;
  teamId: string | null;
  taskId: string | null;
  createdAt: string;
  decidedAt: string | null;
}

/** The words for each way a mission ends, shared by the UI and the CLI. */
export const RESULT_KIND_LABELS: Record<MissionResultKind, string> = {
  merged: 'Merged',
  declined: 'Declined',
  pull_request: 'Pull request',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * How a mission reads in a list: its result once it ended ("Merged", "Declined", "Pull
 * request", "Failed", "Cancelled"), else null (the caller shows its state). A mission
 * 'done' without a kind (it cannot happen after migration 0012) reads as done, not merged.
 */
export function resultLabel(m: Pick<MissionSummary, 'state' | 'resultKind'>): string | null {
  if (m.resultKind) return RESULT_KIND_LABELS[m.resultKind];
  if (m.state === 'failed' || m.state === 'cancelled') return RESULT_KIND_LABELS[m.state];
  return null;
}

/** One line on how it ended, for the result's head and the CLI's last line. */
export function resultHeadline(m: Pick<MissionSummary, 'state' | 'resultKind' | 'baseBranch'>): string {
  switch (m.resultKind) {
    case 'merged':
      return `Merged into ${m.baseBranch}`;
    case 'declined':
      return 'Final merge declined: the work stays on the mission branch';
    case 'pull_request':
      return `Pull request opened against ${m.baseBranch}`;
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return m.state === 'done' ? 'Done' : `Not finished (${m.state.replace(/_/g, ' ')})`;
  }
}
