// A change as a person reviews it: per-file diffs between two commits, the work in progress
// of a worktree (committed and not), and the commits a range holds.

import type { CommitInfo, FileChange } from '../../shared/review.js';
import { parseChangedFiles } from './changed-files.js';
import { git, splitNul } from './git.js';

/** The whole diff's cap: past it files keep their counts but lose their patch. */
export const CHANGE_DIFF_MAX_BYTES = 2 * 1024 * 1024;
/** One file's cap: a generated or vendored file must not crowd out the rest. */
export const FILE_PATCH_MAX_BYTES = 256 * 1024;
/** Untracked files diffed one by one in a work in progress; more are listed without a patch. */
const UNTRACKED_MAX = 200;

const COMMON = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];

export interface ChangeDiffOptions {
  maxBytes?: number;
  maxFileBytes?: number;
}

/** A set of file changes with its totals. */
export interface ChangeDiff {
  files: FileChange[];
  additions: number;
  deletions: number;
  truncated: boolean;
}

/**
 * The change from commit `base` to commit `head` in `repo`, file by file, each file with
 * its own part of the unified diff (cut per file and for the whole, see the caps).
 */
export async function diffRange(
  repo: string,
  base: string,
  head: string,
  options: ChangeDiffOptions = {},
): Promise<ChangeDiff> {
  return diffOf(repo, [base, head], options);
}

/**
 * A worktree's work in progress against `base` (where its task started): its commits since
 * then and its uncommitted edits, new files included, as one change. The index is never
 * touched (an agent may be working in it). `exclude` are paths never shown (the copied
 * local settings files).
 */
export async function diffWorkInProgress(
  worktree: string,
  base: string,
  options: ChangeDiffOptions & { exclude?: readonly string[] } = {},
): Promise<ChangeDiff> {
  const exclude = new Set(options.exclude ?? []);
  // `git diff <commit>` compares the working tree (tracked files) with the commit.
  const tracked = await diffOf(worktree, [base], options);
  const others = await git(['ls-files', '--others', '--exclude-standard', '-z'], { cwd: worktree });
  const untracked = splitNul(others.stdout).filter((path) => !exclude.has(path));
  const maxFileBytes = options.maxFileBytes ?? FILE_PATCH_MAX_BYTES;
  let budget =
    (options.maxBytes ?? CHANGE_DIFF_MAX_BYTES) - tracked.files.reduce((sum, f) => sum + f.patch.length, 0);
  const added: FileChange[] = [];
  for (const [index, path] of untracked.entries()) {
    if (index >= UNTRACKED_MAX || budget <= 0) {
      added.push({ path, status: 'added', additions: null, deletions: null, patch: '', truncated: true });
      continue;
    }
    // --no-index answers 1 when the files differ, which a new file always does.
    const out = await git(['diff', ...COMMON, '--no-index', '--', '/dev/null', path], {
      cwd: worktree,
      okExitCodes: [1],
      maxStdoutBytes: maxFileBytes,
    });
    const binary = /^Binary files /m.test(out.stdout);
    const lines = out.stdout.split('\n');
    const additions = binary ? null : lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
    const patch = cutPatch(out.stdout, Math.min(maxFileBytes, budget));
    budget -= patch.text.length;
    added.push({
      path,
      status: 'added',
      additions: out.truncated ? null : additions,
      deletions: binary ? null : 0,
      patch: patch.text,
      truncated: patch.cut || out.truncated,
    });
  }
  const files = [...tracked.files.filter((f) => !exclude.has(f.path)), ...added].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  return totals(files);
}

/** The commits in `head` that are not in `base`, newest first (at most `limit`). */
export async function commitsBetween(
  repo: string,
  base: string,
  head: string,
  limit = 200,
): Promise<CommitInfo[]> {
  const out = await git(
    ['log', '--no-color', `--max-count=${limit}`, '--format=%H%x1f%s%x1f%an%x1f%aI%x1e', `${base}..${head}`],
    { cwd: repo },
  );
  return out.stdout
    .split('\x1e')
    .map((record) => record.trim())
    .filter((record) => record !== '')
    .map((record) => {
      const [sha = '', subject = '', author = '', at = ''] = record.split('\x1f');
      return { sha, subject, author, at };
    });
}

/** The commit `ref` names, or null when it names none. */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const out = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: repo,
    okExitCodes: [1],
  });
  return out.exitCode === 0 ? out.stdout.trim() : null;
}

/** The best common ancestor of two commits, or null when they share none. */
export async function mergeBaseOf(repo: string, a: string, b: string): Promise<string | null> {
  const out = await git(['merge-base', a, b], { cwd: repo, okExitCodes: [1] });
  return out.exitCode === 0 ? out.stdout.trim() : null;
}

async function diffOf(
  cwd: string,
  range: readonly string[],
  options: ChangeDiffOptions,
): Promise<ChangeDiff> {
  const maxBytes = options.maxBytes ?? CHANGE_DIFF_MAX_BYTES;
  const maxFileBytes = options.maxFileBytes ?? FILE_PATCH_MAX_BYTES;
  const [numstat, nameStatus, patch] = await Promise.all([
    git(['diff', ...COMMON, '--numstat', '-z', ...range, '--'], { cwd }),
    git(['diff', ...COMMON, '--name-status', '-z', ...range, '--'], { cwd }),
    git(['diff', ...COMMON, '--patch', ...range, '--'], { cwd, maxStdoutBytes: maxBytes }),
  ]);
  const counted = parseChangedFiles(numstat.stdout, nameStatus.stdout);
  const patches = splitPatch(patch.stdout);
  const files = counted.map((file): FileChange => {
    const whole = patches.get(file.path);
    if (whole === undefined) return { ...file, patch: '', truncated: patch.truncated };
    // The last file of a cut diff may be incomplete even when it fits its own cap: it is
    // whole when its lines add up to git's counts.
    const lastOfCut = patch.truncated && whole.end === patch.stdout.length && !countsMatch(whole.text, file);
    const cut = cutPatch(whole.text, maxFileBytes);
    return { ...file, patch: cut.text, truncated: cut.cut || lastOfCut };
  });
  return totals(files);
}

/**
 * Splits a unified diff into its files, keyed by the path in each `diff --git a/X b/X`
 * header (both sides are the same path: renames are off).
 */
function splitPatch(diff: string): Map<string, { text: string; end: number }> {
  const byPath = new Map<string, { text: string; end: number }>();
  const starts: number[] = [];
  const header = /^diff --git /gm;
  for (let match = header.exec(diff); match; match = header.exec(diff)) starts.push(match.index);
  starts.forEach((start, i) => {
    const end = starts[i + 1] ?? diff.length;
    const text = diff.slice(start, end);
    const first = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
    const path = headerPath(first);
    if (path !== null) byPath.set(path, { text, end });
  });
  return byPath;
}

/** The path of `diff --git a/<p> b/<p>` (quoted when git had to escape it). */
function headerPath(line: string): string | null {
  const rest = line.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const match = /^"a\/((?:[^"\\]|\\.)*)"/.exec(rest);
    return match?.[1] ? unquote(match[1]) : null;
  }
  // Same path on both sides: "a/<p> b/<p>" has the length 2 * len(p) + 5.
  const length = (rest.length - 5) / 2;
  if (!Number.isInteger(length) || length <= 0) return null;
  return rest.slice(2, 2 + length);
}

function unquote(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = text[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      const escapes: Record<string, number> = {
        n: 10,
        t: 9,
        '"': 34,
        '\\': 92,
        a: 7,
        b: 8,
        f: 12,
        r: 13,
        v: 11,
      };
      bytes.push(escapes[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function countsMatch(patch: string, file: { additions: number | null; deletions: number | null }): boolean {
  if (file.additions === null) return true;
  let additions = 0;
  let deletions = 0;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) additions++;
    else if (line.startsWith('-') && !line.startsWith('---')) deletions++;
  }
  return additions === file.additions && deletions === file.deletions;
}

/** Cuts a patch at a line boundary under `max` characters. */
function cutPatch(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  if (max <= 0) return { text: '', cut: true };
  const slice = text.slice(0, max);
  const line = slice.lastIndexOf('\n');
  return { text: line > 0 ? slice.slice(0, line + 1) : '', cut: true };
}

function totals(files: FileChange[]): ChangeDiff {
  return {
    files,
    additions: files.reduce((sum, f) => sum + (f.additions ?? 0), 0),
    deletions: files.reduce((sum, f) => sum + (f.deletions ?? 0), 0),
    truncated: files.some((f) => f.truncated),
  };
}
