import { z } from 'zod';
import type { ToolDefinition } from '../llm/provider.js';

/**
 * The tools agents act through. A model (real or simulated) can only change the world by
 * calling these; every call's input is validated here before the engine acts on it, and
 * a bad input goes back to the model as a tool error rather than crashing anything.
 */

const path = z.string().min(1).max(1_000);
const text = (max: number) => z.string().max(max);

/** Leaders, while planning: one call per task, then `submit_plan`. */
export const planningTools = {
  create_task: z.object({
    key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase slug, e.g. "api-routes"'),
    title: z.string().min(1).max(200),
    description: text(8_000).min(1),
    acceptance_criteria: z.array(z.string().min(1).max(1_000)).min(1).max(20),
    owns: z.array(path).max(50),
    depends_on: z.array(z.string()).max(20),
    assignee: z.string().max(64).optional(),
  }),
  submit_plan: z.object({ summary: text(4_000).min(1) }),
};

/** Coders, while working a task. */
export const coderTools = {
  read_file: z.object({ path, offset: z.number().int().min(0).optional(), limit: z.number().int().min(1).optional() }),
  write_file: z.object({ path, content: text(512 * 1024) }),
  edit_file: z.object({ path, old_text: z.string().min(1), new_text: z.string() }),
  list_dir: z.object({ path: path.default('.'), depth: z.number().int().min(1).max(5).optional() }),
  search: z.object({ pattern: z.string().min(1).max(500), path: path.optional() }),
  run_command: z.object({ command: z.string().min(1).max(1_000) }),
  submit_task: z.object({ summary: text(4_000).min(1) }),
  ask_leader: z.object({ question: text(4_000).min(1) }),
};

/** Leaders, while reviewing a submission (its diff and test output are in the prompt). */
export const reviewTools = {
  approve_submission: z.object({ comment: text(4_000) }),
  reject_submission: z.object({ feedback: text(4_000).min(1) }),
};

/** Leaders, when a coder's escalation reaches them. */
export const escalationTools = {
  answer_coder: z.object({ answer: text(4_000).min(1) }),
  escalate_to_human: z.object({ reason: text(4_000).min(1) }),
};

/** Leaders, when a coder asks to write outside the paths its task owns (the mission's ownership policy 'ask_leader'). */
export const writeRequestTools = {
  allow_write: z.object({ comment: text(4_000) }),
  refuse_write: z.object({ reason: text(4_000).min(1) }),
  escalate_to_human: escalationTools.escalate_to_human,
};

/**
 * A leader resolving a merge conflict on a branch of its own: the file tools and the
 * team's allowed commands, then `submit_resolution` (checked: no conflict markers left,
 * the tests pass) or `give_up_resolution` (the conflict goes to the person).
 */
export const resolutionTools = {
  read_file: coderTools.read_file,
  write_file: coderTools.write_file,
  edit_file: coderTools.edit_file,
  list_dir: coderTools.list_dir,
  search: coderTools.search,
  run_command: coderTools.run_command,
  submit_resolution: z.object({ summary: text(4_000).min(1) }),
  give_up_resolution: z.object({ reason: text(4_000).min(1) }),
};

export type ToolSet = Record<string, z.ZodObject>;

const descriptions: Record<string, string> = {
  create_task: 'Add one self-contained task to the plan. A coder will do it alone on its own branch.',
  submit_plan: 'Submit the plan once every task is created. The person approves it before coders start.',
  read_file: 'Read a text file of your worktree (paths are relative to the repository root).',
  write_file: 'Create or overwrite a file in your worktree.',
  edit_file: 'Replace exactly one occurrence of old_text with new_text in a file.',
  list_dir: 'List a folder of your worktree.',
  search: 'Search the worktree for a text or regular expression.',
  run_command: 'Run a command in your worktree. Commands outside the allowlist need the person\'s permission.',
  submit_task: 'Submit your work on the task for review by your leader.',
  ask_leader: 'Ask your leader a question when the task is unclear or you are blocked.',
  approve_submission: 'Approve the submission: it is merged into the team branch.',
  reject_submission: 'Reject the submission with feedback the coder can act on.',
  answer_coder: 'Answer the coder\'s question yourself.',
  escalate_to_human: 'Pass the question to the person supervising the mission.',
  allow_write: 'Allow the coder to write the file outside its task\'s paths, this once.',
  refuse_write: 'Refuse the write, with what the coder should do instead.',
  submit_resolution: 'Submit your resolution of the merge conflict: Control Room checks no conflict markers are left and the tests pass, commits the merge and merges it into the mission branch.',
  give_up_resolution: 'Give up resolving the conflict: it goes to the person, with your reason and what you tried.',
  reply_to_person: 'Reply to the person who wrote to you: what you understood and what you will do.',
};

// Converting the schemas costs about a millisecond per tool set (z.toJSONSchema walks
// every schema), and every agent turn sends its set: done once per set, not per call.
const definitionsCache = new WeakMap<ToolSet, ToolDefinition[]>();

/**
 * Turns a tool set into the Messages API's tool definitions (JSON Schema inputs). The
 * result is computed once per set and shared by every request, so it is deeply frozen:
 * a caller that wants to change it (say, a cache_control marker) must copy it.
 */
export function toolDefinitions(tools: ToolSet): ToolDefinition[] {
  const cached = definitionsCache.get(tools);
  if (cached) return cached;
  const definitions = deepFreeze(
    Object.entries(tools).map(([name, schema]) => ({
      name,
      description: descriptions[name] ?? name,
      input_schema: z.toJSONSchema(schema, { io: 'input' }) as ToolDefinition['input_schema'],
    })),
  );
  definitionsCache.set(tools, definitions);
  return definitions;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type ParsedToolCall =
  | { ok: true; name: string; input: Record<string, unknown> }
  | { ok: false; name: string; error: string };

/** Validates one tool call from a model against the set it was offered. Never throws. */
export function parseToolCall(tools: ToolSet, name: string, input: unknown, inputError?: string): ParsedToolCall {
  if (inputError) return { ok: false, name, error: inputError };
  const schema = tools[name];
  if (!schema) return { ok: false, name, error: `unknown tool "${name}"; available: ${Object.keys(tools).join(', ')}` };
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      name,
      error: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, name, input: parsed.data as Record<string, unknown> };
}

/** What a tool call did, as the turn loop needs to know it. */
export interface ToolOutcome {
  content: string;
  isError?: boolean;
  /** A write or a submit: resets the stall counter. */
  progress?: boolean;
  /** The job is over once this turn's results are stored. */
  end?: boolean;
  /** The agent must wait for an escalation; nothing of this turn is stored. */
  block?: boolean;
}
