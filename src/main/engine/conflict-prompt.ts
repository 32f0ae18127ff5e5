import type { MissionRecord } from '../ledger/mission-repository.js';

/**
 * What a leader is told when a merge conflicts (`conflicts.ts`). Like every prompt
 * (`prompts.ts`), its first lines are `Key: value` facts (`Conflicting files:`,
 * `Test command:`), which the simulated leader resolves from.
 */

const list = (items: readonly string[]): string => (items.length === 0 ? '(none)' : items.join(', '));

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function oneLine(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > 500 ? `${first.slice(0, 500)}…` : first;
}

export interface ResolutionPromptInput {
  mission: MissionRecord;
  /** What conflicts: "Merging team B into the mission branch", "Merging main into the mission branch". */
  merging: string;
  /** Why this leader resolves it (its team's merge, or the team that delivered the files). */
  why: string;
  branch: string;
  conflicts: string[];
  /** What the mission branch changed in those files since the merge-base, and what the other side changed. */
  ours: string;
  theirs: string;
  allowedCommands: string[];
  testCommand: string | null;
  /** The test command's output in the worktree as the merge left it. */
  testOutput: string | null;
  maxAttempts: number;
}

/** A leader's brief when a merge conflicts: the files, both sides, the tests, and how to finish. */
export function resolutionPrompt(input: ResolutionPromptInput): string {
  return [
    `Goal: ${oneLine(input.mission.goal)}`,
    `Merge conflict: ${input.merging}`,
    `Why you: ${input.why}`,
    `Branch: ${input.branch}`,
    `Conflicting files: ${list(input.conflicts)}`,
    `Allowed commands: ${list(input.allowedCommands)}`,
    `Test command: ${input.testCommand ?? '(none)'}`,
    '',
    'Your worktree holds the merge with the conflict left in the files (between <<<<<<<, ======= and >>>>>>> lines).',
    'Edit each conflicting file so it keeps what both sides meant, with no conflict markers left; run the tests;',
    `then call submit_resolution with a summary. Control Room checks the markers are gone and the tests pass, commits the merge`,
    `and merges it into the mission branch. After ${input.maxAttempts} refused submissions, or if you call give_up_resolution`,
    'with your reason, the conflict goes to the person with what you tried.',
    '',
    'What the mission branch changed in these files (ours):',
    input.ours.trim() === '' ? '(nothing)' : input.ours,
    '',
    'What the other side changed in these files (theirs):',
    input.theirs.trim() === '' ? '(nothing)' : input.theirs,
    '',
    input.testCommand ? `Output of \`${input.testCommand}\` as the merge left the files:\n${cut(input.testOutput ?? '', 8_000)}` : 'No test command is allowed in this mission.',
  ].join('\n');
}
