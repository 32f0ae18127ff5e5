import type { EscalationRecord, MissionRecord, TaskRecord } from '../ledger/mission-repository.js';
import { PROJECT_MEMORY_FILE, PROJECT_MEMORY_MAX_CHARS } from '../../shared/project-memory.js';

/**
 * What agents are told. The first lines of every prompt are `Key: value` lines
 * (`Goal:`, `Coders:`, `Allowed commands:`, `Attempt:`) so the simulated provider can
 * play its role from them and a person reading a transcript sees the facts first.
 */

const list = (items: readonly string[]): string => (items.length === 0 ? '(none)' : items.join(', '));

/** A team as a leader's planning brief describes it. */
export interface TeamBriefInput {
  name: string;
  phase: number;
  /** Names of the teams it starts after. */
  after: string[];
  /** Its focus from the design's brief ('' when none). */
  focus: string;
  /** Paths it owns ([] when none). */
  owns: string[];
  /** This mission's share of the goal for it; null: planned from its brief. */
  share: string | null;
}

export interface PlanPromptInput {
  mission: MissionRecord;
  teamName: string;
  coderNames: string[];
  otherTeams: string[];
  allowedCommands: string[];
  /** The person's comment on the previous plan round, if it was sent back. */
  feedback: string | null;
  /** This team's brief; absent: the goal is the whole brief. */
  brief?: TeamBriefInput;
  /** The other teams' briefs, with what each delivered once merged into the mission branch. */
  others?: (TeamBriefInput & { delivery: { files: string[]; summary: string } | null })[];
}

/**
 * The leader's planning brief: decompose the team's share of the goal into tasks. The
 * share is the mission's (`mission_teams.share`), else the team brief's focus, else
 * "<team>'s share of: <goal>" when there are other teams. The whole goal, the other
 * teams' briefs and what merged teams delivered follow for context. Built-in and Claude
 * Code leaders get this same text (the Claude Code runtime sends the conversation's
 * first message).
 */
export function planPrompt(input: PlanPromptInput): string {
  const { brief } = input;
  const several = input.otherTeams.length > 0;
  // With several teams the share names this team's part, so that plans (and the files
  // they own) differ between teams that read the same goal.
  const share = cut(brief?.share?.trim() || brief?.focus.trim() || (several ? `${input.teamName}'s share of: ${oneLine(input.mission.goal)}` : ''), 1_000);
  const lines = [
    `Goal: ${oneLine(input.mission.goal)}`,
    `Team: ${input.teamName}`,
    ...(share ? [`Share: ${share}`] : []),
    ...(brief ? [`Focus: ${brief.focus.trim() ? oneLine(brief.focus) : '(none)'}`, `Team owns: ${list(brief.owns)}`] : []),
    ...(brief && brief.after.length > 0 ? [`Phase: ${brief.phase}, after ${brief.after.join(', ')}`] : brief && several ? [`Phase: ${brief.phase}`] : []),
    `Coders: ${list(input.coderNames)}`,
    `Allowed commands: ${list(input.allowedCommands)}`,
    `Other teams: ${list(input.otherTeams)}`,
    '',
    share
      ? "You lead this team. Decompose your team's share of the goal (above) into tasks with create_task, one call per task:"
      : 'You lead this team. Decompose the goal into tasks with create_task, one call per task:',
    'each task needs a self-contained description, acceptance criteria, the files or folders it owns, and the keys',
    'of tasks it depends on. Tasks without dependencies between them run in parallel, one per coder. Keep owned',
    'files disjoint so that coders do not conflict. When every task is created, call submit_plan.',
  ];
  if (brief && brief.owns.length > 0) lines.push(`Your team owns ${brief.owns.join(', ')}: keep every task's files inside these paths.`);
  if (several) {
    lines.push("Plan only your team's share; the other teams plan theirs.");
  }
  const others = input.others ?? [];
  if (others.length > 0) {
    lines.push('', "The other teams' briefs:");
    for (const o of others) {
      const what = o.share?.trim() || o.focus.trim() || '(no brief)';
      const after = o.after.length > 0 ? `, after ${o.after.join(', ')}` : '';
      lines.push(`- ${o.name} (phase ${o.phase}${after}): ${cut(oneLine(what), 400)}; owns ${list(o.owns)}`);
    }
  }
  const delivered = others.filter((o) => o.delivery !== null);
  if (delivered.length > 0) {
    lines.push('', 'Already merged into the mission branch, which your team starts from (build on it, do not redo it):');
    for (const o of delivered) {
      lines.push(`- ${o.name} delivered ${list(o.delivery?.files.slice(0, 50) ?? [])}${(o.delivery?.files.length ?? 0) > 50 ? ', …' : ''}`);
      for (const line of (o.delivery?.summary ?? '').split('\n').slice(0, 12)) if (line.trim()) lines.push(`  ${cut(line.trim(), 300)}`);
    }
  }
  if (input.feedback) lines.push('', `The person sent the previous plan back with this comment: ${input.feedback}`);
  if (input.mission.goal.includes('\n')) lines.push('', 'The full goal:', input.mission.goal);
  return lines.join('\n');
}

export interface TaskPromptInput {
  mission: MissionRecord;
  task: TaskRecord;
  allowedCommands: string[];
}

/** A coder's brief for one claim of a task. */
export function taskPrompt({ mission, task, allowedCommands }: TaskPromptInput): string {
  const lines = [
    `Goal: ${oneLine(mission.goal)}`,
    `Task: ${task.key} — ${task.title}`,
    `Title: ${task.title}`,
    `Attempt: ${task.attempts + 1}`,
    `Allowed commands: ${list(allowedCommands)}`,
    `Owns: ${list(task.owns)}`,
    '',
    'Description:',
    task.description,
    '',
    'Acceptance criteria:',
    ...task.acceptanceCriteria.map((c) => `- ${c}`),
    '',
    'Work in your worktree with the file tools and run_command. Call submit_task when the acceptance criteria are met;',
    'call ask_leader if the task is unclear or you are blocked.',
  ];
  // The ownership policy refuses (or asks the leader about) writes elsewhere; saying so up front saves the turns.
  if (task.owns.length > 0) lines.push(`Write only inside the paths your task owns (${task.owns.join(', ')}); other paths belong to other tasks.`);
  if (task.feedback) lines.push('', `Feedback: ${task.feedback}`);
  // Each claim is a new conversation; saying so keeps two claims' first requests distinct.
  if (task.claims > 1) lines.push('', `(This task was started ${task.claims - 1} time(s) before; start from the team branch as it is now.)`);
  return lines.join('\n');
}

export interface ReviewPromptInput {
  mission: MissionRecord;
  task: TaskRecord;
  coderName: string;
  diff: string;
  filesChanged: string[];
  testCommand: string | null;
  testOutput: string | null;
}

/** The leader's review brief: the submission's diff and the test command's output. */
export function reviewPrompt(input: ReviewPromptInput): string {
  const { task } = input;
  return [
    `Goal: ${oneLine(input.mission.goal)}`,
    `Task: ${task.key} — ${task.title}`,
    `Review of: ${task.title}`,
    `Coder: ${input.coderName}`,
    `Owns: ${list(task.owns)}`,
    `Attempt: ${task.attempts + 1}`,
    `Files changed: ${list(input.filesChanged)}`,
    '',
    'Acceptance criteria:',
    ...task.acceptanceCriteria.map((c) => `- ${c}`),
    '',
    `The coder's summary: ${task.submissionSummary ?? '(none)'}`,
    '',
    input.testCommand ? `Output of \`${input.testCommand}\`:\n${input.testOutput ?? ''}` : 'No test command is allowed in this mission.',
    '',
    'The diff:',
    input.diff.trim() === '' ? '(no changes)' : input.diff,
    '',
    'Approve the submission (it is merged into the team branch) or reject it with feedback the coder can act on.',
  ].join('\n');
}

/** The leader's brief when a coder's question reaches it. */
export function questionPrompt(e: EscalationRecord, coderName: string, task: TaskRecord | undefined): string {
  return [
    `From: ${coderName}`,
    `Task: ${task ? `${task.key} — ${task.title}` : '(none)'}`,
    `Question: ${e.detail}`,
    '',
    'Answer the coder yourself with answer_coder, or pass the question to the person with escalate_to_human.',
  ].join('\n');
}

/** The leader's note when one of its coders stalled. */
export function stallPrompt(e: EscalationRecord, coderName: string, task: TaskRecord | undefined): string {
  return [
    `Stalled: ${coderName}`,
    `Task: ${task ? `${task.key} — ${task.title}` : '(none)'}`,
    '',
    e.detail,
    '',
    'The task will be reset and started again. Give the coder guidance for the new attempt with answer_coder,',
    'or pass the problem to the person with escalate_to_human.',
  ].join('\n');
}

/**
 * The repository's CLAUDE.md as built-in agents read it, appended to their stable system
 * prompt (Claude Code reads the file itself): the same project memory on both runtimes.
 * Cut at `PROJECT_MEMORY_MAX_CHARS` with a note saying so, so that a huge file cannot
 * crowd out the conversation; '' when the repository has none.
 */
export function projectMemorySection(text: string | null): string {
  if (text === null || text.trim() === '') return '';
  const body = text.trimEnd();
  const cut = body.length > PROJECT_MEMORY_MAX_CHARS;
  return [
    '',
    '',
    `The repository's ${PROJECT_MEMORY_FILE} (its project memory: follow its conventions):`,
    `<${PROJECT_MEMORY_FILE}>`,
    cut ? body.slice(0, PROJECT_MEMORY_MAX_CHARS) : body,
    `</${PROJECT_MEMORY_FILE}>`,
    ...(cut
      ? [
          `(${PROJECT_MEMORY_FILE} is cut here: ${PROJECT_MEMORY_MAX_CHARS.toLocaleString('en-US')} of its ${body.length.toLocaleString('en-US')} characters. Read the file for the rest when you need it.)`,
        ]
      : []),
  ].join('\n');
}

/** The compaction model's instructions. */
export const COMPACTION_SYSTEM =
  'You summarise the earlier part of an AI coding agent\'s working session so that it can continue without it. ' +
  'Keep every fact the agent still needs: what it was asked, files it read or changed and how, commands it ran ' +
  'and their results, decisions, open problems. Be concise; no preamble.';

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function oneLine(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > 500 ? `${first.slice(0, 500)}…` : first;
}
