/**
 * The simulated leader while planning: reads the goal and the team from the prompt and
 * answers with `create_task` calls and a `submit_plan`, as a real model would. The plan
 * is derived from the goal and the seed only, so every turn of a planning conversation
 * (and a replay after a crash) agrees on the same tasks.
 */
import { ARCHETYPES, type CodeArchetype } from './code.js';
import {
  assistantTurns,
  clip,
  firstLabel,
  lastIndexOfRole,
  pastToolCalls,
  proseText,
  promptText,
  slugify,
  splitList,
} from './conversation.js';
import { hashParts, Rng } from './random.js';
import { call, limitParallel, say, type DraftBlock, type RoleInput } from './reply.js';

/** A task as `create_task` takes it. */
export interface PlannedTask {
  key: string;
  title: string;
  description: string;
  acceptance_criteria: string[];
  owns: string[];
  depends_on: string[];
  assignee?: string;
}

interface Aspect {
  word: string;
  title: string;
  what: string;
  criterion: string;
}

const ASPECTS: Record<CodeArchetype, Aspect> = {
  parse: {
    word: 'parser',
    title: 'Input parser',
    what: 'Write a module that parses `key = value` lines into an object: skip blank lines and # comments, convert numbers and booleans, and throw a SyntaxError naming the line for a malformed one.',
    criterion: 'A malformed line is rejected with an error naming its line number.',
  },
  validate: {
    word: 'validation',
    title: 'Record validation',
    what: 'Write a module that validates a record: `name` must be a non-empty string and `tags`, when present, an array of strings. Return `{ ok, errors }` listing every problem instead of throwing.',
    criterion: 'Every problem of an invalid record is reported, not only the first.',
  },
  store: {
    word: 'store',
    title: 'In-memory store',
    what: 'Write a module exporting a factory for an in-memory store with add, get, remove, list and size. Ids are increasing integers and are never reused after a removal.',
    criterion: 'Ids are never reused, even after a removal.',
  },
  format: {
    word: 'report',
    title: 'Table formatter',
    what: 'Write a module that formats an array of row objects as an aligned plain-text table whose columns are the keys of the first row, with no trailing spaces.',
    criterion: 'Columns are aligned and lines carry no trailing spaces.',
  },
  normalize: {
    word: 'names',
    title: 'Name normaliser',
    what: 'Write a module that normalises a display name into a slug: lower case, accents stripped, runs of other characters collapsed into single dashes, no leading or trailing dash.',
    criterion: 'Accented input such as "Crème Brûlée" becomes "creme-brulee".',
  },
};

/**
 * The coders named on a `Coders:` line: "alice (claude-sonnet-4-6), Coder 2" -> [alice,
 * Coder 2]. A name is whole, spaces included: cut at its first word, "Coder 1" and
 * "Coder 2" were both "Coder", an assignee the engine refuses.
 */
export function parseCoders(text: string): string[] {
  const names = splitList(firstLabel(text, 'Coders', 'Team coders', 'Team'))
    .map((item) => item.replace(/\(.*?\)/g, '').replace(/\s+/g, ' ').trim())
    .filter((name) => name !== '' && name !== '(none)' && name.length <= 64);
  return [...new Set(names)];
}

/** A team's brief as its planning prompt gives it (`Focus:`, `Team owns:`). */
export interface TeamArea {
  focus?: string | undefined;
  owns?: readonly string[] | undefined;
}

const isFolder = (p: string): boolean => /\/$/.test(p) || !/\.[a-z0-9]+$/i.test(p.split('/').at(-1) ?? '');
const trimFolder = (p: string): string => p.replace(/\/\*\*?$/, '').replace(/\/+$/, '');

/**
 * Where a team's tasks put their files: inside the folders it owns, else one file each of
 * the files it owns, else a folder named after its focus; null without a brief (today's
 * `src/` and `test/`). Teams with disjoint briefs therefore plan disjoint files.
 */
function areaOf(team: TeamArea | undefined): { folders: string[]; files: string[] } | null {
  const owns = (team?.owns ?? []).map((p) => p.trim()).filter((p) => p !== '' && p !== '(none)');
  const folders = owns.filter(isFolder).map(trimFolder).filter((p) => p !== '' && p !== '.');
  if (folders.length > 0) return { folders, files: [] };
  if (owns.length > 0) return { folders: [], files: owns };
  const focus = team?.focus?.trim();
  if (focus && focus !== '(none)') return { folders: [`src/${slugify(focus, 2, 24)}`], files: [] };
  return null;
}

/**
 * The plan for a goal: 2–4 self-contained tasks, each owning one module and its test,
 * inside the team's area when its brief gives one (`team`).
 */
export function planFor(goal: string | undefined, coders: readonly string[], seed: number, team?: TeamArea): PlannedTask[] {
  const area = areaOf(team);
  const rng = new Rng(hashParts(seed, 'plan', goal ?? '', coders.join(',')));
  let count =
    goal === undefined
      ? 2
      : coders.length > 0
        ? Math.min(4, Math.max(2, coders.length + rng.int(0, 1)))
        : rng.int(2, 4);
  // Owned files only: one task per file, never two tasks on one file.
  if (area && area.files.length > 0) count = Math.min(count, area.files.length);
  const archetypes = [...ARCHETYPES];
  for (let i = archetypes.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [archetypes[i], archetypes[j]] = [archetypes[j] as CodeArchetype, archetypes[i] as CodeArchetype];
  }
  // "Build a todo CLI" reads as "Input parser for todo CLI" in a title.
  const goalText =
    (goal ?? 'the requested feature').replace(
      /^\s*(please\s+)?(build|create|make|implement|add|write)\s+(an?|the)?\s*/i,
      '',
    ) || 'the requested feature';
  const goalSlug = slugify(goal ?? 'feature', 2, 20);
  const tasks: PlannedTask[] = [];
  archetypes.slice(0, count).forEach((archetype, i) => {
    const aspect = ASPECTS[archetype];
    const base = `${goalSlug}-${aspect.word}`;
    const folder = area?.folders[i % area.folders.length];
    const file = area?.files[i];
    const owns = folder ? [`${folder}/${base}.js`, `${folder}/${base}.test.js`] : file ? [file] : [`src/${base}.js`, `test/${base}.test.js`];
    const depends_on: string[] = [];
    if (i > 0 && rng.chance(0.45)) depends_on.push(`feature-${rng.int(1, i)}`);
    tasks.push({
      key: `feature-${i + 1}`,
      title: `${aspect.title} for ${clip(goalText, 80)}`,
      description: [
        `Part of the goal: ${clip(goal ?? goalText, 400)}`,
        aspect.what,
        owns[1] ? `Put the code in ${owns[0]} and a node:test test in ${owns[1]}; do not touch other files.` : `Put the code in ${owns[0]}; do not touch other files.`,
        'Keep it dependency-free and export the main function by name.',
      ].join('\n'),
      acceptance_criteria: [
        `${owns[0]} exports the module's main function and handles bad input explicitly.`,
        aspect.criterion,
        owns[1] ? `${owns[1]} covers the happy path and one error path, and passes with node --test.` : 'The module handles the happy path and one error path.',
      ],
      owns,
      depends_on,
      ...(coders.length > 0 ? { assignee: coders[i % coders.length] as string } : {}),
    });
  });
  // A plan with no ordering at all is not what a leader writes; tie the last task to the first.
  const last = tasks[tasks.length - 1];
  if (last && tasks.length > 1 && tasks.every((t) => t.depends_on.length === 0))
    last.depends_on.push('feature-1');
  return tasks;
}

/** The summary of the plan: one line per task as it was created (its assignee and dependencies included). */
function planSummary(goal: string | undefined, tasks: readonly PlannedTask[], note?: string): string {
  const lines = tasks.map((t) => {
    const who = t.assignee ? ` -> ${t.assignee}` : '';
    const deps = t.depends_on.length > 0 ? ` (after ${t.depends_on.join(', ')})` : '';
    return `- ${t.key}: ${t.title}${who}${deps}`;
  });
  return [
    `${tasks.length} tasks for: ${clip(goal ?? 'the requested feature', 200)}`,
    ...lines,
    'Tasks without dependencies can run in parallel; each owns its own files, so merges do not conflict.',
    ...(note ? [`Revised after feedback: ${clip(note, 300)}`] : []),
  ]
    .join('\n')
    .slice(0, 3_900);
}

/** The leader's next planning turn. */
export function planningReply({ request, rng, seed, parallel }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  // A team's share of the goal is what it plans; the whole goal is context.
  const goal = firstLabel(text, 'Share', 'Goal', 'Mission goal', 'Mission');
  const coders = parseCoders(text);
  const plan = planFor(goal, coders, seed, { focus: firstLabel(text, 'Focus'), owns: splitList(firstLabel(text, 'Team owns')) });
  const calls = pastToolCalls(request);

  const created = new Set<string>();
  /** What each task was created with: the summary describes these, not the first intent. */
  const createdAs = new Map<string, PlannedTask>();
  const failures = new Map<string, number>();
  const assigneeRefused = new Set<string>();
  for (const c of calls) {
    if (c.name !== 'create_task' || typeof c.input['key'] !== 'string') continue;
    const key = c.input['key'];
    if (c.result?.isError) {
      failures.set(key, (failures.get(key) ?? 0) + 1);
      if (/unknown assignee/i.test(c.result.text)) assigneeRefused.add(key);
    } else if (c.result) {
      created.add(key);
      createdAs.set(key, c.input as unknown as PlannedTask);
    }
  }
  const submittedBefore = calls.some((c) => c.name === 'submit_plan');
  const lastUser = request.messages[lastIndexOfRole(request, 'user')];
  const feedback = submittedBefore && lastUser ? proseText(lastUser).trim() : '';

  const remaining = plan
    .filter((t) => !created.has(t.key) && (failures.get(t.key) ?? 0) < 2)
    .map((t): PlannedTask => {
      if (!assigneeRefused.has(t.key)) return t;
      // Retrying after the engine refused the assignee: without one, and with every
      // dependency kept. A dependency may name a task not created yet (later in this turn,
      // or retried with it); the engine checks dependencies only when the plan is submitted.
      const { assignee: _dropped, ...rest } = t;
      return rest;
    });
  const kept = plan
    .filter((t) => created.has(t.key) || remaining.some((r) => r.key === t.key))
    .map((t) => createdAs.get(t.key) ?? remaining.find((r) => r.key === t.key) ?? t);

  const lastSubmit = [...calls].reverse().find((c) => c.name === 'submit_plan');
  if (lastSubmit && !lastSubmit.result?.isError && feedback === '' && remaining.length === 0) {
    return [say('The plan is submitted; waiting for approval.')];
  }

  const blocks: DraftBlock[] = [];
  if (assistantTurns(request) === 0) {
    blocks.push(
      say(
        rng.pick([
          `I'll split this into ${plan.length} independent tasks, each owning its own module and test so the coders never touch the same files.`,
          `Plan: ${plan.length} tasks, one module each, with tests. I'll create them and then submit the plan.`,
          `Breaking the goal into ${plan.length} self-contained tasks with clear ownership and acceptance criteria.`,
        ]),
      ),
    );
  } else if (feedback !== '') {
    blocks.push(say('Thanks, I have taken the feedback into account and am resubmitting the plan.'));
  }
  if (assistantTurns(request) < 8)
    for (const task of remaining) blocks.push(call('create_task', { ...task }));
  blocks.push(
    call('submit_plan', { summary: planSummary(goal, kept.length > 0 ? kept : plan, feedback || undefined) }),
  );
  return limitParallel(blocks, parallel);
}
