/**
 * The simulated leader outside planning: reviewing a coder's submission and answering
 * a coder's question. Reviews reject only a first attempt (at the configured rate), so
 * every simulated mission finishes; answers go up to the person now and then, more
 * often for questions a leader should not settle alone.
 */
import { parseTaskContext } from './coder.js';
import {
  attemptNumber,
  clip,
  firstLabel,
  lastLabel,
  lastIndexOfRole,
  pastToolCalls,
  promptText,
  proseText,
} from './conversation.js';
import { call, say, type DraftBlock, type RoleInput } from './reply.js';

/** Paths a diff in the prompt touches (`+++ b/path` or `diff --git a/x b/path`). */
export function diffPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const m of text.matchAll(/^\+\+\+ b\/(\S+)/gm)) if (m[1]) paths.add(m[1]);
  for (const m of text.matchAll(/^diff --git a\/\S+ b\/(\S+)/gm)) if (m[1]) paths.add(m[1]);
  return [...paths];
}

/** The leader's review of a submission: approve, or reject with feedback the coder can act on. */
export function reviewReply({ request, rng, behaviour }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  const ctx = parseTaskContext(text);
  const attempt = attemptNumber(text);
  const paths = diffPaths(text);
  const files = paths.length > 0 ? paths : ctx.owns;
  const code = files.find((p) => !/test|spec/i.test(p)) ?? files[0] ?? 'the module';
  const test = files.find((p) => /test|spec/i.test(p)) ?? 'the tests';
  const verdicts = pastToolCalls(request).filter(
    (c) => c.name === 'approve_submission' || c.name === 'reject_submission',
  );
  const lastVerdict = verdicts[verdicts.length - 1];
  if (lastVerdict && !lastVerdict.result?.isError) return [say('Review submitted.')];
  // If a verdict was already refused by the engine, do not argue: approve so the task can finish.
  const refused = verdicts.some((c) => c.result?.isError);
  const noChanges = /\(no changes\)|diff is empty|no files changed/i.test(text) && paths.length === 0;
  const reject = !refused && attempt < 2 && (noChanges || rng.chance(behaviour.rejectRate));

  if (reject) {
    const feedback = noChanges
      ? `The submission for ${ctx.key} contains no changes. Write the module and its test in the owned paths (${ctx.owns.join(', ') || code}) and submit again.`
      : rng.pick([
          `In ${code}: invalid input is not rejected explicitly. Add a guard that throws a TypeError with a clear message, and a test for that path in ${test}.`,
          `${test} only exercises the happy path. Add a test for the error case named in the acceptance criteria and make ${code} satisfy it.`,
          `${code}: the exported function has no doc comment. Document the input format and the errors it throws so the other tasks can rely on it.`,
          `In ${code}: the edge case of empty input is not handled the way the acceptance criteria ask. Handle it explicitly and cover it in ${test}.`,
        ]);
    return [
      say(rng.pick(['Close, but one thing needs fixing before this can merge.', 'Requesting a change.'])),
      call('reject_submission', { feedback }),
    ];
  }
  const comment =
    attempt >= 2
      ? `Approved: the feedback from the previous review is addressed in ${code}, and the tests still pass.`
      : rng.pick([
          `Approved: ${code} does what ${ctx.key} asks, ${test} covers the happy path and an error path, and nothing outside the owned paths changed.`,
          `LGTM. Clear implementation in ${code}, no new dependencies, tests included.`,
          `Approved. ${code} matches the acceptance criteria; merging into the team branch.`,
        ]);
  return [call('approve_submission', { comment })];
}

const RISKY =
  /\b(install|dependenc(y|ies)|credential|secret|token|password|production|deploy|delete|licen[cs]e|budget|permission|network|internet)\w*/i;

/**
 * A coder asks to write outside its task's paths (the engine's ownership policy
 * 'ask_leader'): a path nobody owns is allowed, another task's is refused, once.
 */
function writeRequestReply(request: RoleInput['request'], text: string): DraftBlock[] {
  if (pastToolCalls(request).some((c) => (c.name === 'allow_write' || c.name === 'refuse_write') && !c.result?.isError)) return [say('Answered.')];
  const owner = lastLabel(text, 'Whose path') ?? 'no task owns it';
  if (owner === 'no task owns it') return [call('allow_write', { comment: 'Nobody else owns it; go ahead and mention it in your submission summary.' })];
  return [call('refuse_write', { reason: `That path belongs to ${clip(owner, 200)}. Keep to your task's files; if you need a change there, say so in your submission summary.` })];
}

/** The leader's answer to a coder's question, or a hand-off to the person. */
export function escalationReply({ request, rng }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  const lastUser = request.messages[lastIndexOfRole(request, 'user')];
  const question = lastLabel(text, 'Question') ?? (lastUser ? proseText(lastUser).trim() : '');
  const previous = pastToolCalls(request).filter(
    (c) => c.name === 'answer_coder' || c.name === 'escalate_to_human',
  );
  const lastAnswer = previous[previous.length - 1];
  if (lastAnswer && !lastAnswer.result?.isError) return [say('Answered.')];
  if ((request.tools ?? []).some((t) => t.name === 'allow_write')) return writeRequestReply(request, text);
  const risky = RISKY.test(question);
  if (rng.chance(risky ? 0.6 : 0.12)) {
    return [
      say('This needs a decision from the person supervising the mission.'),
      call('escalate_to_human', {
        reason: `A coder asks: "${clip(question || 'an unspecified question', 600)}". ${risky ? 'It touches dependencies, access or anything outside the repository, which I should not decide alone.' : 'The goal does not settle it and either choice changes the result.'}`,
      }),
    ];
  }
  const q = question.toLowerCase();
  const answer = /test runner|node:test|jest|vitest|mocha/.test(q)
    ? 'Use node:test with node:assert/strict: no new dependencies, and it runs everywhere with `node --test`.'
    : /throw|error value|invalid|typeerror/.test(q)
      ? 'Throw a TypeError for input of the wrong type and a SyntaxError/RangeError for malformed values, and test both paths.'
      : /export|default/.test(q)
        ? 'Named exports only, no default export: the other tasks will import the function by name.'
        : /empty|scope/.test(q)
          ? 'Treat empty input as valid and return the empty result; anything beyond the acceptance criteria is out of scope.'
          : rng.pick([
              'Keep it simple and inside the files your task owns; follow the acceptance criteria literally and note any assumption in your submission summary.',
              'Go with your proposal. Mention the decision in the submission summary so the review can check it.',
            ]);
  return [call('answer_coder', { answer })];
}

/**
 * Keeps both sides of every conflict hunk, ours first, leaving out a line of theirs that
 * ours already has: right where the sides changed disjoint lines (two teams each adding
 * their own line), which is what the simulated leader can settle without judgement.
 * A diff3 base section (`|||||||`) is dropped.
 */
export function keepBothSides(text: string): string {
  const out: string[] = [];
  let section: 'none' | 'ours' | 'base' | 'theirs' = 'none';
  let ours: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const bare = line.replace(/\r?\n$/, '');
    if (section === 'none' && /^<{7}( |$)/.test(bare)) {
      section = 'ours';
      ours = [];
    } else if (section === 'ours' && /^\|{7}( |$)/.test(bare)) section = 'base';
    else if ((section === 'ours' || section === 'base') && bare === '=======') section = 'theirs';
    else if (section === 'theirs' && /^>{7}( |$)/.test(bare)) section = 'none';
    else if (section === 'ours') {
      ours.push(line);
      out.push(line);
    } else if (section === 'theirs') {
      if (!ours.includes(line)) out.push(line);
    } else if (section === 'none') out.push(line);
  }
  return out.join('');
}

/**
 * The leader resolving a merge conflict: reads each conflicting file, writes it back with
 * both sides kept ({@link keepBothSides}), submits; if Control Room refuses the result (a
 * test fails), it gives up with the reason, so the person gets the conflict with what was
 * tried. Deterministic: the same conflict is resolved the same way.
 */
export function resolutionReply({ request }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  const files = (lastLabel(text, 'Conflicting files') ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== '(none)');
  const calls = pastToolCalls(request);
  const submits = calls.filter((c) => c.name === 'submit_resolution' || c.name === 'give_up_resolution');
  const last = submits.at(-1);
  if (last && (last.name === 'give_up_resolution' || !last.result?.isError)) return [say('Done.')];
  if (last?.result?.isError) {
    return [
      say('My resolution does not hold up; this needs the person.'),
      call('give_up_resolution', {
        reason: `I kept both sides of ${files.join(', ') || 'the conflicting files'}, and Control Room refused it: ${clip(last.result.text.split('\n')[0] ?? '', 300)}`,
      }),
    ];
  }
  const read = new Map<string, string>();
  for (const c of calls) {
    if (c.name === 'read_file' && c.result && !c.result.isError) read.set(String(c.input.path), c.result.text);
  }
  const written = new Set(calls.filter((c) => c.name === 'write_file' && c.result && !c.result.isError).map((c) => String(c.input.path)));
  const unread = files.filter((f) => !read.has(f));
  if (unread.length > 0) return unread.map((path) => call('read_file', { path }));
  const unwritten = files.filter((f) => !written.has(f));
  if (unwritten.length > 0) return unwritten.map((path) => call('write_file', { path, content: keepBothSides(read.get(path) ?? '') }));
  return [call('submit_resolution', { summary: `Kept both sides in ${files.join(', ') || 'the conflicting files'}: the changes touched different lines.` })];
}

/** The tool the engine's leaders answer the result summary with (engine/result-summary.ts). */
export const RESULT_SUMMARY_TOOL_NAME = 'submit_result_summary';

/**
 * The leader's summary of what its team delivered, written from the prompt alone: the
 * team, its merged tasks (who did each, in its own words) and the files changed. Nothing
 * fixed: a different delivery reads differently.
 */
export function resultSummaryReply({ request }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  const team = firstLabel(text, 'Team') ?? 'The team';
  const files = (/^Files changed \((\d+)\): (.*)$/m.exec(text) ?? []).slice(1);
  const count = Number(files[0] ?? 0);
  const listed = (files[1] ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '' && f !== '…');
  const tasks = [...text.matchAll(/^- ([^:\n]+): (.*?)(?: \[by ([^\]]+)\])? \| (.*)$/gm)].map((m) => ({
    key: m[1] ?? '',
    title: m[2] ?? '',
    by: m[3] ?? null,
    said: m[4] ?? '',
  }));
  const parts: string[] = [];
  if (tasks.length === 0) parts.push(`${team} merged no task of its own.`);
  else {
    const done = tasks.map((t) => `${t.title}${t.by ? ` (${t.by})` : ''}`);
    parts.push(`${team} delivered ${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${done.join('; ')}.`);
    const notes = tasks.map((t) => t.said).filter((s) => s !== '' && s !== 'no summary');
    if (notes.length > 0) parts.push(clip(notes.join(' '), 600));
  }
  if (count > 0) {
    const shown = listed.slice(0, 8);
    parts.push(`Changed ${count} file${count === 1 ? '' : 's'}: ${shown.join(', ')}${count > shown.length ? ', and more' : ''}.`);
  }
  const check = listed.find((f) => /test|spec/i.test(f));
  parts.push(check ? `Check that ${check} passes on the mission branch before merging.` : 'Check the changed files before merging.');
  return [call(RESULT_SUMMARY_TOOL_NAME, { summary: parts.join(' ') })];
}
