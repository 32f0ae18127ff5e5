import type { TestRunView } from '../../../../src/shared/review.js';
import { formatDateTime } from '../../lib/format.js';

const STAGE: Record<TestRunView['stage'], string> = {
  final: 'Mission branch, before the final merge',
  review: 'Leader’s review',
};

function outcome(run: TestRunView): { label: string; className: string } {
  if (run.exitCode === 0) return { label: 'passed', className: 'badge-success' };
  if (run.exitCode === null) return { label: 'did not finish', className: 'badge-warn' };
  return { label: `failed (exit ${run.exitCode})`, className: 'badge-danger' };
}

/** The test runs of a change, newest first; the latest one open with its output. */
export function TestsSection({
  tests,
  taskTitles,
}: {
  tests: readonly TestRunView[];
  taskTitles: ReadonlyMap<string, string>;
}) {
  return (
    <section className="review-section" aria-label="Tests">
      <h4 className="inbox-section-title">Tests</h4>
      {tests.length === 0 ? (
        <p className="muted">No tests ran on this change (no team allows a test command).</p>
      ) : (
        <ul className="review-tests">
          {tests.map((run, i) => {
            const o = outcome(run);
            const task = run.taskId ? taskTitles.get(run.taskId) : undefined;
            return (
              <li key={run.id}>
                <details open={i === 0}>
                  <summary>
                    <span className={`badge ${o.className}`}>{o.label}</span> <code>{run.command}</code>{' '}
                    <span className="muted">
                      · {STAGE[run.stage]}
                      {task ? ` of “${task}”` : ''} · {formatDateTime(run.endedAt)}
                    </span>
                  </summary>
                  <pre className="review-test-output" aria-label={`Output of ${run.command}`}>
                    {run.output || '(no output)'}
                  </pre>
                  <p className="muted review-test-where">
                    Ran in <code>{run.cwd}</code>
                    {run.headCommit ? (
                      <>
                        {' '}
                        at <code>{run.headCommit.slice(0, 12)}</code>
                      </>
                    ) : null}
                    {run.truncated ? ' · output cut to its last part' : ''}
                  </p>
                </details>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
