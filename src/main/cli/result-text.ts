import type { MissionResult } from '../../shared/mission-result.js';
import { formatUsd } from '../../shared/money.js';
import { safeMessage } from '../../shared/quote.js';

/** A duration as a person reads it: `42s`, `3m 05s`, `1h 02m`. */
export function durationText(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The end of a headless `run`: the mission's result in lines a person reads: how it ended,
 * each team's summary with its cost and time, the files, the commits per coder, the final
 * tests and the escalations with who decided them.
 */
export function resultLines(r: MissionResult): string[] {
  const out: string[] = [];
  out.push(`Result: ${r.headline}${r.outcome ? ` (${safeMessage(r.outcome, 300)})` : ''}`);
  if (r.pullRequestUrl) out.push(`  Pull request: ${r.pullRequestUrl}`);
  out.push(`  ${formatUsd(r.cost.totalNanoUsd)} over ${r.cost.calls} calls in ${durationText(r.durationMs)}`);
  for (const team of r.teams) {
    out.push('');
    out.push(
      `Team ${safeMessage(team.name, 60)}: ${team.tasksMerged}/${team.tasksTotal} tasks merged, ${formatUsd(team.costNanoUsd)}, ${durationText(team.durationMs)}`,
    );
    if (team.summary) {
      const from =
        team.summarySource === 'leader'
          ? "leader's summary"
          : `from its tasks (${team.summaryNote ?? 'no leader summary'})`;
      out.push(`  ${from}:`);
      for (const line of team.summary.split('\n')) out.push(`    ${safeMessage(line, 400)}`);
    }
    for (const t of r.tasks.filter((x) => x.teamId === team.id)) {
      out.push(
        `  - ${t.key} ${t.state}${t.assignee ? ` by ${t.assignee}` : ''}: ${formatUsd(t.costNanoUsd)}, ${durationText(t.durationMs)}`,
      );
    }
  }
  out.push('');
  out.push(`Files changed (${r.files.length}):${r.files.length === 0 ? ' none' : ''}`);
  for (const f of r.files.slice(0, 50))
    out.push(
      `  ${f.path}${f.additions !== null || f.deletions !== null ? `  +${f.additions ?? 0} -${f.deletions ?? 0}` : ''}`,
    );
  if (r.files.length > 50) out.push(`  … and ${r.files.length - 50} more`);
  out.push(`Commits per coder${r.commitsSource === 'tasks' ? ' (from the tasks: the branch is gone)' : ''}:`);
  for (const c of r.coders.filter((x) => x.commits > 0 || x.tasksMerged > 0)) {
    out.push(
      `  ${c.name.padEnd(20)} ${String(c.commits).padStart(3)} commits, ${c.tasksMerged} tasks merged`,
    );
  }
  if (r.finalTests) {
    out.push(
      `Final tests: ${r.finalTests.command} ${r.finalTests.passed ? 'passed' : `failed (exit ${r.finalTests.exitCode ?? 'none'})`}`,
    );
  } else {
    out.push('Final tests: none ran on the mission branch');
  }
  const decided = r.escalations.filter((e) => e.state === 'resolved');
  if (decided.length > 0) {
    out.push(`Escalations (${decided.length} decided):`);
    for (const e of decided)
      out.push(`  ${e.type}: ${e.decision ?? '?'} by ${e.decidedBy ?? '?'}: ${safeMessage(e.title, 120)}`);
  }
  return out;
}
