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
