/**
 * The simulated coder: a multi-turn tool loop driven only by the conversation so far.
 * It looks around, sometimes asks its leader, writes a real module and test into the
 * paths its task owns, sometimes runs a command (now and then one outside the allowlist,
 * so a permission escalation happens), and submits. It adapts to refused writes and to
 * review feedback, and always submits within a bounded number of turns.
 */
import { posix } from 'node:path';
import {
  ARCHETYPES,
  archetypeFromText,
  describeModule,
  exportName,
  headerLine,
  moduleSource,
  testSource,
  type CodeSpec,
  type ModuleStyle,
} from './code.js';
import {
  clip,
  firstLabel,
  lastLabel,
  attemptNumber,
  pastToolCalls,
  promptText,
  proseText,
  slugify,
  splitList,
  type PastToolCall,
} from './conversation.js';
import { hashParts } from './random.js';
import { call, limitParallel, say, type DraftBlock, type RoleInput } from './reply.js';

/** Replies per phase (first attempt, or one round of review feedback) before submitting regardless. */
export const MAX_CODER_TURNS = 8;

/** Commands a simulated coder may try that no sensible allowlist contains. */
export const UNLISTED_COMMANDS = [
  'npm install left-pad',
  'npx eslint --fix .',
  'npm install --save-dev c8',
] as const;

const CODE_FILE = /\.(m?js|cjs|jsx|tsx?)$/i;
const TEST_FILE = /([._-](test|spec))\.[a-z]+$|(^|\/)(tests?|__tests__)\//i;
const REJECTION = /\b(reject(ed|ion)?|changes requested|request(ed)? changes|not approved)\b|\bfeedback\s*:/i;

/** What a coder reads from its prompt. */
export interface TaskContext {
  key: string;
  title: string;
  description: string;
  owns: string[];
  allowedCommands: string[];
  attempt: number;
  /** Review feedback stated in the prompt (a fresh conversation for a later attempt). */
  feedback: string | undefined;
}

/** Reads the task from `Task:`, `Title:`, `Description:`, `Owns:`, `Allowed commands:`, `Attempt:`, `Feedback:`. */
export function parseTaskContext(text: string): TaskContext {
  const taskLine = firstLabel(text, 'Task', 'Task key') ?? '';
  const keyMatch = /^[`'"]?([a-z0-9][a-z0-9-]{0,39})\b/i.exec(taskLine);
  const key = keyMatch?.[1]?.toLowerCase() ?? 'task';
  const rest = taskLine
    .slice(keyMatch?.[0].length ?? 0)
    .replace(/^[`'"]?\s*([—–:|-]+|\()\s*/, '')
    .replace(/\)$/, '')
    .trim();
  const description = firstLabel(text, 'Description', 'Task description') ?? '';
  const title =
    firstLabel(text, 'Title', 'Task title') ?? (rest !== '' ? rest : clip(description, 80) || key);
  return {
    key,
    title,
    description,
    owns: splitList(firstLabel(text, 'Owns', 'Owned paths', 'Owned files', 'Files you own')),
    allowedCommands: splitList(firstLabel(text, 'Allowed commands', 'Command allowlist', 'Allowlist')),
    attempt: attemptNumber(text),
    feedback: lastLabel(text, 'Review feedback', 'Reviewer feedback', 'Feedback'),
  };
}

interface FilePlan {
  slug: string;
  modules: string[];
  tests: string[];
}

const stripGlob = (p: string): string => p.replace(/\/\*\*?(\/\*)?$/, '').replace(/\/+$/, '');
const isDir = (p: string): boolean =>
  /\/(\*\*?)?$/.test(p) || !/\.[a-z0-9]+$/i.test(posix.basename(stripGlob(p)));

/** Where the code and its test may go, best first, all within the owned paths. */
export function filePlan(ctx: TaskContext): FilePlan {
  const firstModule = ctx.owns.find((p) => CODE_FILE.test(p) && !TEST_FILE.test(p));
  const slug = firstModule
    ? slugify(posix.basename(firstModule).replace(/\.[^.]+$/, ''), 4, 40)
    : slugify(ctx.title === ctx.key ? ctx.key : ctx.title);
  if (ctx.owns.length === 0)
    return { slug, modules: [`src/${slug}.js`, `lib/${slug}.js`], tests: [`test/${slug}.test.js`] };
  const dirs = ctx.owns
    .filter(isDir)
    .map(stripGlob)
    .filter((d) => d !== '');
  const modules = [
    ...ctx.owns.filter((p) => CODE_FILE.test(p) && !TEST_FILE.test(p)),
    ...dirs.filter((d) => !TEST_FILE.test(`${d}/`)).map((d) => `${d}/${slug}.js`),
  ];
  const tests = [
    ...ctx.owns.filter((p) => CODE_FILE.test(p) && TEST_FILE.test(p)),
    ...dirs.map((d) => `${d}/${slug}.test.js`),
  ];
  return { slug, modules: [...new Set(modules)], tests: [...new Set(tests)] };
}

function styleFor(path: string, calls: readonly PastToolCall[]): ModuleStyle {
  if (/\.tsx?$/i.test(path)) return 'ts';
  if (/\.mjs$/i.test(path)) return 'esm';
  if (/\.cjs$/i.test(path)) return 'cjs';
  const pkg = calls.find(
    (c) => c.name === 'read_file' && c.input['path'] === 'package.json' && c.result && !c.result.isError,
  );
  return pkg && /"type"\s*:\s*"module"/.test(pkg.result?.text ?? '') ? 'esm' : 'cjs';
}

interface Phase {
  /** Feedback to act on; undefined for a first attempt. */
  feedback: string | undefined;
  /** Index of the message where the phase began (the rejected submit), -1 for the start. */
  start: number;
  /** The previous submit was accepted and nothing asks for more: just submit again. */
  resubmit: boolean;
}

function currentPhase(input: RoleInput, calls: readonly PastToolCall[], ctx: TaskContext): Phase {
  const { request } = input;
  const lastSubmit = [...calls].reverse().find((c) => c.name === 'submit_task');
  if (lastSubmit) {
    const later = request.messages
      .slice(lastSubmit.messageIndex + 1)
      .filter((m) => m.role === 'user')
      .map(proseText)
      .join('\n');
    const resultText = lastSubmit.result?.text ?? '';
    if (lastSubmit.result?.isError || REJECTION.test(later) || REJECTION.test(resultText)) {
      const said = `${later}\n${resultText}`;
      const feedback = lastLabel(said, 'Review feedback', 'Feedback') ?? (later.trim() || resultText.trim());
      return {
        feedback: feedback || 'The reviewer asked for changes.',
        start: lastSubmit.messageIndex,
        resubmit: false,
      };
    }
    return { feedback: undefined, start: lastSubmit.messageIndex, resubmit: true };
  }
  if (ctx.attempt >= 2 || ctx.feedback !== undefined) {
    return {
      feedback: ctx.feedback ?? 'Address the points raised in the previous review.',
      start: -1,
      resubmit: false,
    };
  }
  return { feedback: undefined, start: -1, resubmit: false };
}

const ok = (c: PastToolCall): boolean => c.result === null || !c.result.isError;
const pathOf = (c: PastToolCall): string => (typeof c.input['path'] === 'string' ? c.input['path'] : '');

/** The coder's next turn. */
export function codingReply(input: RoleInput): DraftBlock[] {
  const { request, rng, behaviour, parallel, seed } = input;
  const ctx = parseTaskContext(promptText(request));
  const files = filePlan(ctx);
  const calls = pastToolCalls(request);
  const phase = currentPhase(input, calls, ctx);
  const phaseCalls = calls.filter((c) => c.messageIndex > phase.start);
  const phaseTurns = request.messages.filter((m, i) => i > phase.start && m.role === 'assistant').length;

  const writes = calls.filter((c) => c.name === 'write_file');
  const failedPaths = new Set(writes.filter((c) => !ok(c)).map(pathOf));
  const written = writes.filter(ok);
  const moduleWrite = [...written].reverse().find((c) => files.modules.includes(pathOf(c)));
  const modulePath = moduleWrite ? pathOf(moduleWrite) : files.modules.find((p) => !failedPaths.has(p));
  const archetype =
    archetypeFromText(ctx.title) ??
    archetypeFromText(ctx.description) ??
    ARCHETYPES[hashParts(seed, ctx.key) % ARCHETYPES.length] ??
    'normalize';
  const testPath = files.tests.find((p) => !failedPaths.has(p)) ?? null;
  const spec: CodeSpec | null = modulePath
    ? {
        taskKey: ctx.key,
        title: ctx.title,
        slug: files.slug,
        archetype,
        style: styleFor(modulePath, calls),
        modulePath,
        testPath,
      }
    : null;

  const commandCall = [...phaseCalls].reverse().find((c) => c.name === 'run_command');
  const answer = [...calls].reverse().find((c) => c.name === 'ask_leader' && c.result && !c.result.isError);
  const submit = (text: string): DraftBlock => call('submit_task', { summary: clip(text, 3_900) });
  const summaryTail = (): string =>
    [
      commandCall
        ? commandCall.result && !commandCall.result.isError
          ? `Ran \`${String(commandCall.input['command'])}\`: ${clip(commandCall.result.text.split('\n').find((l) => l.trim()) ?? 'no output', 160)}.`
          : `Could not run \`${String(commandCall.input['command'])}\`${commandCall.result ? ` (${clip(commandCall.result.text, 160)})` : ''}; tests were not run here.`
        : '',
      answer?.result ? `Followed the leader's answer: ${clip(answer.result.text, 200)}` : '',
    ]
      .filter((s) => s !== '')
      .join(' ');

  if (phase.resubmit) {
    // Submitted and accepted: end the turn, as a model does, rather than submitting in a loop.
    return [say(`Submitted ${ctx.key} for review; waiting for the leader's verdict.`)];
  }
  if (phaseTurns >= MAX_CODER_TURNS - 1 + behaviour.readsPerTask || spec === null) {
    const why =
      spec === null
        ? `Could not write any of ${files.modules.join(', ') || 'the owned paths'}: ${clip(writes.find((c) => !ok(c))?.result?.text ?? 'every path was refused', 300)}. No code was changed; the task needs paths I may write.`
        : `Stopping after ${phaseTurns} turns. ${written.length > 0 ? `Wrote ${[...new Set(written.map(pathOf))].join(', ')}.` : 'No files were written.'}`;
    return [submit(`${ctx.key}: ${why} ${summaryTail()}`.trim())];
  }

  if (phase.feedback !== undefined)
    return revisionTurn(input, ctx, spec, phase.feedback, phaseCalls, calls, submit, summaryTail);

  // First attempt.
  const listing = calls.find((c) => c.name === 'list_dir');
  if (!listing && behaviour.readsPerTask > 0) {
    return [say(`Starting on ${ctx.key}: mapping the code around it first.`), call('list_dir', { path: '.', depth: 3 })];
  }
  if (!listing) {
    return limitParallel(
      [
        ...(rng.chance(0.6)
          ? [
              say(
                rng.pick([
                  `Let me look at the repository layout before writing ${spec.modulePath}.`,
                  'First, a look at what is already here.',
                  `Starting on ${ctx.key}: checking the project structure.`,
                ]),
              ),
            ]
          : []),
        call('list_dir', { path: '.' }),
      ],
      parallel,
    );
  }
  const nextRead = behaviour.readsPerTask > 0 && writes.length === 0 ? nextFileToRead(listing, calls, ctx, seed, behaviour.readsPerTask) : null;
  if (nextRead) {
    return [
      ...(rng.chance(0.5) ? [say(rng.pick([`Reading ${nextRead}.`, `Next, ${nextRead}: it is close to what ${ctx.key} touches.`, `Checking how ${nextRead} does it.`]))] : []),
      call('read_file', { path: nextRead }),
    ];
  }
  const needsPackage = /\.js$/i.test(spec.modulePath) && /package\.json/.test(listing.result?.text ?? '');
  if (needsPackage && !calls.some((c) => c.name === 'read_file' && c.input['path'] === 'package.json')) {
    return [
      say('Checking package.json to see whether the project uses ES modules or CommonJS.'),
      call('read_file', { path: 'package.json' }),
    ];
  }

  const moduleDone = moduleWrite !== undefined;
  const asked = calls.some((c) => c.name === 'ask_leader');
  if (!moduleDone && !asked && writes.length === 0 && rng.chance(behaviour.questionRate)) {
    const name = exportName(spec);
    return [
      call('ask_leader', {
        question: rng.pick([
          `For ${ctx.key}, should ${name} throw on invalid input or return an error value? I plan to throw a TypeError and test that path.`,
          `Is node:test fine for ${spec.testPath ?? 'the tests'}, or does the repository prefer another test runner?`,
          `Should ${spec.modulePath} export only ${name}, or also a default export for the other tasks to use?`,
          `The task says "${clip(ctx.description || ctx.title, 120)}". Is it in scope to handle empty input, or can I treat it as an error?`,
        ]),
      }),
    ];
  }

  const testDone = written.some(
    (c) => c.input['path'] === spec.testPath && c.input['content'] === testSource(spec),
  );
  if (!moduleDone) {
    const blocks: DraftBlock[] = [];
    if (rng.chance(0.7)) {
      blocks.push(
        say(
          failedPaths.size > 0
            ? `That path was refused; writing to ${spec.modulePath} instead, which the task also owns.`
            : `Writing ${describeModule(spec)}${spec.testPath ? ` and its test in ${spec.testPath}` : ''}.`,
        ),
      );
    }
    blocks.push(call('write_file', { path: spec.modulePath, content: moduleSource(spec) }));
    if (spec.testPath && !testDone)
      blocks.push(call('write_file', { path: spec.testPath, content: testSource(spec) }));
    return limitParallel(blocks, parallel);
  }
  if (spec.testPath && !testDone)
    return [call('write_file', { path: spec.testPath, content: testSource(spec) })];

  if (!commandCall && rng.chance(behaviour.commandRate)) {
    return [
      say('Running the tests before submitting.'),
      call('run_command', { command: pickCommand(ctx, rng.next(), rng.next()) }),
    ];
  }
  const tested = spec.testPath ? ` with tests in ${spec.testPath}` : '';
  return [
    submit(
      `${ctx.key}: implemented ${describeModule(spec)}${tested}. ${headerNote(spec)} ${summaryTail()}`
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  ];
}

/**
 * The next source file a coder in a long session reads before writing: the listing's code
 * files outside the task's own paths, in an order fixed by the seed and the task (so each
 * coder explores differently, and a resumed conversation reads on where it stopped).
 * Null once `reads` files were read, or the listing has no more.
 */
function nextFileToRead(listing: PastToolCall, calls: readonly PastToolCall[], ctx: TaskContext, seed: number, reads: number): string | null {
  const read = new Set(calls.filter((c) => c.name === 'read_file').map(pathOf));
  if (read.size >= reads) return null;
  const owned = ctx.owns.map(stripGlob).filter((p) => p !== '');
  const files = (listing.result?.text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => CODE_FILE.test(l) && !l.includes(' -> ') && !l.startsWith('node_modules/'))
    .filter((l) => !owned.some((o) => l === o || l.startsWith(`${o}/`)));
  const order = files.map((f) => ({ f, k: hashParts(seed, ctx.key, f) })).sort((a, b) => a.k - b.k || a.f.localeCompare(b.f));
  return order.find(({ f }) => !read.has(f))?.f ?? null;
}

function headerNote(spec: CodeSpec): string {
  const style = spec.style === 'cjs' ? 'CommonJS' : spec.style === 'esm' ? 'ES module' : 'TypeScript';
  return `${style}, no new dependencies; bad input is rejected explicitly.`;
}

/** An allowlisted command (preferring a test command), or now and then one that is not. */
export function pickCommand(
  ctx: Pick<TaskContext, 'allowedCommands'>,
  unlistedDraw: number,
  pickDraw: number,
): string {
  const unlisted = UNLISTED_COMMANDS.filter((c) => !ctx.allowedCommands.includes(c));
  if (unlistedDraw < 0.35 && unlisted.length > 0)
    return unlisted[Math.floor(pickDraw * unlisted.length)] ?? 'npm install left-pad';
  return ctx.allowedCommands.find((c) => /\btest\b/.test(c)) ?? ctx.allowedCommands[0] ?? 'npm test';
}

function revisionTurn(
  input: RoleInput,
  ctx: TaskContext,
  spec: CodeSpec,
  feedback: string,
  phaseCalls: readonly PastToolCall[],
  calls: readonly PastToolCall[],
  submit: (text: string) => DraftBlock,
  summaryTail: () => string,
): DraftBlock[] {
  const { rng, behaviour } = input;
  const header = headerLine(spec);
  const changed = phaseCalls.some((c) => (c.name === 'edit_file' || c.name === 'write_file') && ok(c));
  if (!changed) {
    const editFailed = phaseCalls.some((c) => c.name === 'edit_file' && !ok(c));
    const rewrite = (): DraftBlock[] => [
      say(`Rewriting ${spec.modulePath} to address the review.`),
      call('write_file', { path: spec.modulePath, content: moduleSource(spec, feedback) }),
    ];
    if (editFailed) return rewrite();
    const edit = (): DraftBlock[] => [
      say(`Addressing the review in ${spec.modulePath}.`),
      call('edit_file', {
        path: spec.modulePath,
        old_text: header,
        new_text: `${header}\n// Review: ${clip(feedback, 160).replace(/\n/g, ' ')}`,
      }),
    ];
    const known = [...calls]
      .reverse()
      .find((c) => c.name === 'write_file' && pathOf(c) === spec.modulePath && ok(c));
    if (known && String(known.input['content']).includes(header)) return edit();
    const read = [...phaseCalls]
      .reverse()
      .find((c) => c.name === 'read_file' && pathOf(c) === spec.modulePath);
    if (read)
      return read.result && !read.result.isError && read.result.text.includes(header) ? edit() : rewrite();
    return [
      say(`Reading ${spec.modulePath} to address the review: ${clip(feedback, 120)}`),
      call('read_file', { path: spec.modulePath }),
    ];
  }
  const ranTests = phaseCalls.some((c) => c.name === 'run_command');
  const testCommand = ctx.allowedCommands.find((c) => /\btest\b/.test(c));
  if (!ranTests && testCommand && rng.chance(Math.max(behaviour.commandRate, 0.5))) {
    return [call('run_command', { command: testCommand })];
  }
  return [
    submit(
      `${ctx.key} (revised): addressed the review feedback "${clip(feedback, 300)}" in ${spec.modulePath}. ${summaryTail()}`.trim(),
    ),
  ];
}
