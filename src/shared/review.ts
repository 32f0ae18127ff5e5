/**
 * Reviewing a change before it is approved: what the engine records about the tests it ran,
 * and what it shows the person (files, diff, tests, leaders' verdicts, cost). Shared by the
 * ledger, the engine, the contract and the UI so the four agree on the shapes and the caps.
 */

/** Where a test run happened: a leader's review of one submission, or the mission branch before the final merge. */
export type TestRunStage = 'review' | 'final';

/** The most output a test run keeps, in characters (the end is kept: failures print last). */
export const TEST_OUTPUT_MAX = 64_000;

/** A run of a team's test command, as the ledger records it (migration 0011). */
export interface TestRunView {
  id: number;
  missionId: string;
  /** Null for a run on the mission branch (all teams together). */
  teamId: string | null;
  /** The task whose submission was tested; null for a run on the mission branch. */
  taskId: string | null;
  /** The reviewing agent; null when the engine ran it itself. */
  agentId: string | null;
  stage: TestRunStage;
  command: string;
  /** Null when the command could not start or was stopped. */
  exitCode: number | null;
  output: string;
  /** True when `output` was cut to TEST_OUTPUT_MAX. */
  truncated: boolean;
  /** The worktree or checkout it ran in. */
  cwd: string;
  /** The commit it tested, when known. */
  headCommit: string | null;
  startedAt: string;
  endedAt: string;
}

/**
 * Cuts a command's output to `max` characters, keeping its end (a test runner's summary and
 * its failures come last) and saying how much was left out.
 */
export function capOutput(output: string, max = TEST_OUTPUT_MAX): { output: string; truncated: boolean } {
  if (output.length <= max) return { output, truncated: false };
  const kept = output.slice(output.length - max);
  return { output: `[${output.length - max} characters cut]\n${kept}`, truncated: true };
}

/** One file of a change: its counts (null for binary files) and its own unified diff. */
export interface FileChange {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type-changed' | 'other';
  additions: number | null;
  deletions: number | null;
  /** This file's part of the unified diff (`diff --git` header included); empty when cut away. */
  patch: string;
  /** True when this file's patch was cut (too large, or past the whole diff's cap). */
  truncated: boolean;
}

/** A commit of a change, newest first in lists. */
export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  /** ISO time of the commit. */
  at: string;
}

/** A leader's verdict on one submission of a task. */
export interface ReviewVerdict {
  taskId: string;
  taskTitle: string;
  /** 1 for the first submission, 2 for the one after a rejection, ... */
  attempt: number;
  verdict: 'approve' | 'reject';
  /** The reviewing agent's name, when the ledger says who it was. */
  reviewer: string | null;
  /** The comment of an approval or the feedback of a rejection. */
  feedback: string;
  at: string;
}

/** What a change review covers. */
export type ChangeScope = 'final-merge' | 'team-merge' | 'task';

/**
 * Everything a person needs to judge a change before approving it: what it changes, the
 * tests that ran on it, what the leaders said about the tasks in it, and what it cost.
 */
export interface ChangeReview {
  missionId: string;
  scope: ChangeScope;
  /** What is reviewed, for a heading: "Mission branch into main", "Team Core into the mission". */
  title: string;
  teamId: string | null;
  taskId: string | null;
  /** The branches or commits compared: `base` is where the change starts. */
  baseRef: string;
  headRef: string;
  base: string;
  head: string;
  files: FileChange[];
  additions: number;
  deletions: number;
  /** True when any file's patch was cut. */
  truncated: boolean;
  commits: CommitInfo[];
  tests: TestRunView[];
  verdicts: ReviewVerdict[];
  /** What the model calls of this scope cost, in nano-dollars (the calls ledger). */
  costNanoUsd: number;
  /** Model calls counted in the cost. */
  calls: number;
}
