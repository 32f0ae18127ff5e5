import { z } from 'zod';
import {
  briefProblem,
  INTERFACES_MAX,
  shareSchema,
  type MissionBrief,
} from '../../shared/mission-brief.js';
import type { TeamSpec } from '../../shared/team.js';
import { teamBrief } from '../../shared/team.js';
import type { ResponseContentBlock, ToolDefinition } from '../llm/provider.js';
import { git } from '../workspace/git.js';

/**
 * What the director is asked and how its answer is read: one prompt (the goal, the teams
 * with their briefs and phases, a listing of the repository), one tool it must call, and
 * the validation of that call. Pure apart from `listRepository`, which reads git.
 */

/** The one tool the director answers through. */
export const DIRECTOR_TOOL = 'submit_mission_brief';

/** Files of the repository listing the director sees at most. */
export const LISTING_MAX_FILES = 400;

const replySchema = z.object({
  teams: z
    .array(
      z.object({
        team: z.string().min(1).max(64),
        share: shareSchema.pipe(z.string().min(1, 'must not be empty')),
        after: z.array(z.string().max(64)).max(16).default([]),
      }),
    )
    .min(1)
    .max(16),
  interfaces: z.string().trim().max(INTERFACES_MAX).default(''),
});

/** The tool's definition as the model sees it. */
export const DIRECTOR_TOOL_DEFINITION: ToolDefinition = {
  name: DIRECTOR_TOOL,
  description:
    "Submit the mission's brief: for every team, its share of this mission's goal and the teams it starts after; " +
    'and the interfaces between teams (modules, APIs, files one team provides and another uses).',
  input_schema: z.toJSONSchema(replySchema, { io: 'input' }) as ToolDefinition['input_schema'],
};

export const DIRECTOR_SYSTEM =
  'You are the director of a Control Room mission: several teams of coding agents, each led by a leader, work on one ' +
  'goal in one git repository. Before any leader plans, you split the goal between the teams so that no work is ' +
  'planned twice and nothing is planned by nobody, order the teams in phases where one builds on another, and name ' +
  `the interfaces between them. Answer with one call of ${DIRECTOR_TOOL}.`;

/** A team as the director sees it. */
export interface DirectorTeam {
  id: string;
  name: string;
  focus: string;
  owns: string[];
  after: string[];
}

/** The teams of a design, as the director sees them. */
export function directorTeams(teams: readonly TeamSpec[]): DirectorTeam[] {
  return teams.map((t) => {
    const brief = teamBrief(t);
    return { id: t.id, name: t.name, focus: brief.focus, owns: brief.owns, after: [...(t.after ?? [])] };
  });
}

export interface DirectorPromptInput {
  goal: string;
  teams: readonly DirectorTeam[];
  /** Tracked files at the base branch, already capped. */
  files: readonly string[];
  /** Tracked files left out of `files`. */
  moreFiles: number;
  /** The person's comment when they sent the previous draft back. */
  comment: string | null;
  /** The draft the person sent back, if any. */
  previous: MissionBrief | null;
}

/**
 * The director's prompt. The teams are one JSON block (ids, names, focus, owned paths,
 * the design's phases) so that a model and the simulated provider read the same facts.
 */
export function directorPrompt(input: DirectorPromptInput): string {
  const lines = [
    `Goal: ${input.goal.split('\n')[0] ?? ''}`,
    '',
    'Teams (JSON):',
    '```json',
    JSON.stringify(input.teams, null, 2),
    '```',
    '',
    `Repository (tracked files at the base branch${input.moreFiles > 0 ? `, first ${input.files.length}` : ''}):`,
    ...(input.files.length === 0 ? ['(no files)'] : input.files),
    ...(input.moreFiles > 0 ? [`(${input.moreFiles} more files not shown)`] : []),
    '',
    `Call ${DIRECTOR_TOOL} once with, for every team above (by its id), its share of this goal in a few lines, the ids`,
    "of the teams it must start after (their work merged first; keep the design's phases unless the goal needs",
    'otherwise; no circles), and the interfaces between the teams.',
  ];
  if (input.goal.includes('\n')) lines.push('', 'The full goal:', input.goal);
  if (input.previous) lines.push('', 'Your previous draft (JSON):', JSON.stringify(input.previous));
  if (input.comment) lines.push('', `The person sent your previous draft back with this comment: ${input.comment}`);
  return lines.join('\n');
}

export type DirectorReply = { ok: true; brief: MissionBrief } | { ok: false; error: string };

/**
 * Reads the director's reply: exactly its tool call, with valid input naming every team
 * once, no unknown team, and phases without a circle. Anything else is a one-line error.
 */
export function parseDirectorReply(content: readonly ResponseContentBlock[], teams: readonly DirectorTeam[]): DirectorReply {
  const use = content.find((b) => b.type === 'tool_use' && b.name === DIRECTOR_TOOL);
  if (!use || use.type !== 'tool_use') {
    const called = content.filter((b) => b.type === 'tool_use').map((b) => (b.type === 'tool_use' ? b.name : ''));
    return {
      ok: false,
      error: called.length > 0
        ? `the director called ${called.map((n) => JSON.stringify(n.slice(0, 64))).join(', ')} instead of ${DIRECTOR_TOOL}`
        : `the director answered without calling ${DIRECTOR_TOOL}`,
    };
  }
  if (use.inputError) return { ok: false, error: `the director's ${DIRECTOR_TOOL} input is not valid JSON: ${use.inputError.slice(0, 200)}` };
  const parsed = replySchema.safeParse(use.input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `the director's ${DIRECTOR_TOOL} input is malformed: ${issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'unreadable'}` };
  }
  const seen = new Set<string>();
  for (const t of parsed.data.teams) {
    if (seen.has(t.team)) return { ok: false, error: `the director gave team ${JSON.stringify(t.team.slice(0, 64))} two shares` };
    seen.add(t.team);
  }
  const brief: MissionBrief = {
    shares: Object.fromEntries(parsed.data.teams.map((t) => [t.team, t.share])),
    after: Object.fromEntries(parsed.data.teams.map((t) => [t.team, [...new Set(t.after)]])),
    interfaces: parsed.data.interfaces,
  };
  const problem = briefProblem(brief, teams);
  return problem ? { ok: false, error: `the director's draft cannot run: ${problem}` } : { ok: true, brief };
}

/**
 * The repository's tracked files at `baseBranch`, the first `max` of them: what the
 * director sees of the code. A repository git cannot read gives an empty listing.
 */
export async function listRepository(repoPath: string, baseBranch: string, max = LISTING_MAX_FILES): Promise<{ files: string[]; more: number }> {
  try {
    const { stdout } = await git(['ls-tree', '-r', '--name-only', '-z', baseBranch], { cwd: repoPath, maxStdoutBytes: 4 * 1024 * 1024 });
    const all = stdout.split('\0').filter((f) => f !== '');
    return { files: all.slice(0, max), more: Math.max(0, all.length - max) };
  } catch {
    return { files: [], more: 0 };
  }
}
