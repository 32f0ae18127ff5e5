import type { TestRunStage } from '../../shared/review.js';
import { TestRunsRepository } from '../ledger/test-runs.js';
import { resolveCommit } from '../workspace/change-diff.js';
import { runCommand } from '../workspace/commands.js';
import { formatCommandOutcome } from '../tools/workspace-tools.js';
import type { MissionHost } from './mission-host.js';

/** Who a test run is for: a leader's review of a task, or the mission branch before the final merge. */
export interface TestRunSubject {
  stage: TestRunStage;
  teamId: string | null;
  taskId: string | null;
  agentId: string | null;
}

/**
 * Runs a team's test command in `cwd` and records the run in the ledger (`test_runs`), so
 * that the person sees what the tests said before approving the change; answers the output
 * as a prompt shows it. A failure to record is logged, never thrown: the review goes on.
 */
export async function runRecordedTests(
  h: MissionHost,
  command: string,
  cwd: string,
  subject: TestRunSubject,
): Promise<string> {
  const startedAt = new Date(h.ctx.clock.now()).toISOString();
  const headCommit = await resolveCommit(cwd, 'HEAD').catch(() => null);
  const outcome = await runCommand(command, { cwd, timeoutMs: h.ctx.options.commandTimeoutMs });
  const formatted = formatCommandOutcome(command, outcome);
  if (!h.ctx.store.open) return formatted;
  try {
    new TestRunsRepository(h.ctx.store.db).record({
      missionId: h.mission.id,
      ...subject,
      command,
      exitCode: outcome.timedOut ? null : outcome.exitCode,
      output: outcome.output,
      cwd,
      headCommit,
      startedAt,
      endedAt: new Date(h.ctx.clock.now()).toISOString(),
    });
  } catch (error) {
    h.ctx.logError('recording a test run', error);
  }
  return formatted;
}
