import type { MissionDetail } from '../../shared/mission.js';
import type { MissionResult } from '../../shared/mission-result.js';
import { formatUsd } from '../../shared/money.js';

// GitHub refuses a body over 65,536 characters; leave room for the notice that it was cut.
const BODY_MAX = 60_000;
const FILES_MAX = 200;

/**
 * The pull request's description, in Markdown: the goal, what each team delivered (its
 * leader's summary and files), the tasks merged, the tests' final output and the cost.
 * Built from the mission's result (`missions:get-result`) when one is given, else from
 * the mission's detail (teams' deliveries and merged tasks).
 */
export function pullRequestBody(detail: MissionDetail, result: MissionResult | null = null): string {
  const m = detail.mission;
  const lines: string[] = [`Opened by Control Room for mission **${m.name}**.`, '', '## Goal', '', quoteBlock(m.goal), ''];
  if (result) {
    lines.push('## What was delivered', '');
    for (const team of result.teams) {
      lines.push(`### ${team.name}`, '', team.summary?.trim() || '_No summary._', '');
      lines.push(`${team.tasksMerged} of ${team.tasksTotal} tasks merged · ${formatUsd(team.costNanoUsd)}`, '');
      if (team.files.length > 0) lines.push(...fileList(team.files), '');
    }
    const merged = result.tasks.filter((t) => t.state === 'merged');
    if (merged.length > 0) {
      lines.push('## Tasks', '');
      for (const t of merged) lines.push(`- **${t.key}** ${t.title}${t.assignee ? ` (${t.assignee})` : ''}${t.submissionSummary ? `: ${oneLine(t.submissionSummary)}` : ''}`);
      lines.push('');
    }
    if (result.finalTests) {
      const tests = result.finalTests;
      lines.push('## Tests', '', `\`${tests.command}\` ${tests.passed ? 'passed' : `failed (exit ${tests.exitCode ?? '?'})`}`, '', '```', tests.output.slice(-4_000), '```', '');
    }
    lines.push('## Cost', '', `${formatUsd(result.cost.totalNanoUsd)} in ${result.cost.calls} model calls.`, '');
  } else {
    lines.push('## What was delivered', '');
    for (const team of detail.teams) {
      lines.push(`### ${team.name}`, '', team.delivery?.summary.trim() || team.planSummary?.trim() || '_No summary._', '');
      if (team.delivery && team.delivery.files.length > 0) lines.push(...fileList(team.delivery.files), '');
      const merged = detail.tasks.filter((t) => t.teamId === team.id && t.state === 'merged');
      if (merged.length > 0) {
        for (const t of merged) lines.push(`- **${t.key}** ${t.title}${t.submissionSummary ? `: ${oneLine(t.submissionSummary)}` : ''}`);
        lines.push('');
      }
    }
    lines.push('## Cost', '', `${formatUsd(m.spentNanoUsd)}.`, '');
  }
  const body = lines.join('\n');
  return body.length <= BODY_MAX ? body : `${body.slice(0, BODY_MAX)}\n\n_(cut: the full result is in Control Room)_\n`;
}

function fileList(files: readonly string[]): string[] {
  const shown = files.slice(0, FILES_MAX).map((f) => `- \`${f.replace(/`/g, "'")}\``);
  if (files.length > FILES_MAX) shown.push(`- … and ${files.length - FILES_MAX} more`);
  return ['<details><summary>Files changed</summary>', '', ...shown, '', '</details>'];
}

function quoteBlock(text: string): string {
  return text.trim().split('\n').map((l) => `> ${l}`).join('\n');
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
