import { constants as fsConstants, realpathSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { git } from './git.js';

/**
 * Every file tool answers this way. Agent mistakes (a missing file, a path outside the
 * worktree, an ambiguous edit) are `ok: false` with a message the agent can act on; the
 * tools never throw for them, so a confused agent cannot take the engine down.
 */
export type ToolResult = { ok: true; output: string } | { ok: false; error: string };

export interface FileToolsOptions {
  /**
   * Path prefixes (relative to the worktree, e.g. `src/parser`, `docs/`) the agent may
   * write under. Missing or empty: anywhere in the worktree. Reads are never scoped.
   */
  writeScope?: readonly string[];
  /** Most bytes one `read_file` returns. Default 256 KiB. */
  maxReadBytes?: number;
  /** Largest file `write_file` or `edit_file` may produce. Default 1 MiB. */
  maxWriteBytes?: number;
  /** Most matches one `search` returns. Default 200. */
  maxSearchResults?: number;
  /** Most entries one `list_dir` returns. Default 1,000. */
  maxListEntries?: number;
}

export interface ReadFileOptions {
  /** First line to return, counting from 1. Default 1. */
  offset?: number;
  /** How many lines to return. Default: as many as fit in `maxReadBytes`. */
  limit?: number;
}

export interface ListDirOptions {
  /** 1 lists the folder's own entries; 2 also their children; and so on, up to 10. */
  depth?: number;
}

export interface SearchOptions {
  /** A file or folder to search in, relative to the worktree. Default: all of it. */
  path?: string;
  /** Only files whose path matches this glob (`*.ts`, `src/**\/*.test.ts`). */
  glob?: string;
  /** Treat `pattern` as a plain string rather than a regular expression (POSIX ERE). */
  literal?: boolean;
  caseInsensitive?: boolean;
}

/** The tools an agent gets over one worktree; each name is the tool's name. */
export interface FileTools {
  /** The worktree, as its real path. */
  readonly root: string;
  read_file(path: string, options?: ReadFileOptions): Promise<ToolResult>;
  write_file(path: string, content: string): Promise<ToolResult>;
  edit_file(path: string, oldText: string, newText: string): Promise<ToolResult>;
  list_dir(path?: string, options?: ListDirOptions): Promise<ToolResult>;
  search(pattern: string, options?: SearchOptions): Promise<ToolResult>;
}

const DEFAULT_MAX_READ_BYTES = 256 * 1024;
const DEFAULT_MAX_WRITE_BYTES = 1024 * 1024;
const DEFAULT_MAX_SEARCH_RESULTS = 200;
const DEFAULT_MAX_LIST_ENTRIES = 1_000;
// Beyond this we refuse to load a file at all, offset or not.
const MAX_FILE_BYTES = 32 * 1024 * 1024;
const MAX_SEARCH_LINE_CHARS = 300;
const MAX_LIST_DEPTH = 10;
// Only O_NOFOLLOW on the final open: we have already resolved the path, so a symlink
// appearing there now is a swap made after our check, not something to follow.
const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/** A refusal or mistake, reported to the agent as a tool error. */
class ToolError extends Error {}

const fail = (error: string): ToolResult => ({ ok: false, error });

/**
 * Builds the file tools for one worktree. Every path the agent gives is resolved to a
 * real path and must stay inside the worktree's real path:
 *
 * - `..` escapes and absolute paths outside the worktree are refused;
 * - symlinks are followed and judged by where they land: a link (to a file, or a
 *   linked parent folder) that leads outside the worktree is refused for reads and
 *   writes; writes to a path that does not exist yet are judged by its nearest existing
 *   ancestor, and a dangling symlink is never written through;
 * - writes into any `.git` entry, NUL bytes in paths, and (with `writeScope`) writes
 *   outside the allowed prefixes are refused.
 *
 * Symlinks are judged when the call is made; an agent cannot create symlinks with these
 * tools, and commands that could are behind the allowlist.
 */
export function createFileTools(worktreeRoot: string, options: FileToolsOptions = {}): FileTools {
  const root = realpathSync(worktreeRoot);
  const givenRoot = resolve(worktreeRoot);
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const maxWriteBytes = options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES;
  const maxSearchResults = options.maxSearchResults ?? DEFAULT_MAX_SEARCH_RESULTS;
  const maxListEntries = options.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
  const scope = (options.writeScope ?? []).map(normalizeScope).filter((prefix) => prefix !== null);
  const scopeIsAll = (options.writeScope ?? []).length === 0 || scope.includes('');

  const inside = (real: string) => real === root || real.startsWith(root + sep);
  const rel = (real: string) => (real === root ? '.' : relative(root, real).split(sep).join('/'));

  /** The lexical target of an agent's path, checked for the obvious escapes. */
  function lexical(input: unknown): string {
    if (typeof input !== 'string') throw new ToolError('path must be a string');
    if (input.includes('\0')) throw new ToolError('path contains a NUL byte');
    const path = input.trim() === '' ? '.' : input;
    // Absolute paths are fine if they name something in the worktree, by either spelling.
    const base = isAbsolute(path) && isWithin(givenRoot, resolve(path)) ? givenRoot : root;
    const target = resolve(base, path);
    if (!isWithin(base, target)) {
      throw new ToolError(`"${input}" is outside the worktree; use a path relative to the worktree root`);
    }
    // Re-anchor on the real root so the rest of the checks compare like with like.
    return base === root ? target : join(root, relative(base, target));
  }

  /** The real path of an existing entry the agent wants to read or list. */
  async function resolveExisting(input: string): Promise<string> {
    const target = lexical(input);
    let real: string;
    try {
      real = await realpath(target);
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) {
        if (await isSymlink(target))
          throw new ToolError(`"${input}" is a symlink to something that does not exist`);
        throw new ToolError(`"${input}" does not exist`);
      }
      throw new ToolError(`cannot resolve "${input}": ${errorMessage(error)}`);
    }
    if (!inside(real))
      throw new ToolError(`"${input}" leads outside the worktree (through a symlink); refused`);
    return real;
  }

  /** The real path a write to `input` would land on, after every write check. */
  async function resolveForWrite(input: string): Promise<string> {
    const target = lexical(input);
    if (target === root) throw new ToolError('cannot write to the worktree root itself');

    // Walk up to the nearest entry that exists; the rest are folders we will create.
    const missing: string[] = [];
    let existing = target;
    for (;;) {
      try {
        await lstat(existing);
        break;
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw new ToolError(`cannot write "${input}": ${errorMessage(error)}`);
        missing.unshift(relative(resolve(existing, '..'), existing));
        existing = resolve(existing, '..');
      }
    }
    let real: string;
    try {
      real = await realpath(existing);
    } catch {
      // lstat saw it, realpath cannot follow it: a dangling symlink, which a write would
      // follow to wherever it points.
      throw new ToolError(`"${rel(existing)}" is a symlink to something that does not exist; refused`);
    }
    if (!inside(real))
      throw new ToolError(`"${input}" leads outside the worktree (through a symlink); refused`);
    const final = missing.length > 0 ? join(real, ...missing) : real;

    const relPath = rel(final);
    if (relPath.split('/').some((part) => part.toLowerCase() === '.git')) {
      throw new ToolError(`"${input}" is inside .git; agents may not write there`);
    }
    if (!scopeIsAll && !scope.some((prefix) => relPath === prefix || relPath.startsWith(`${prefix}/`))) {
      throw new ToolError(
        `"${relPath}" is outside your write scope; you may write under: ${scope.map((p) => `${p}/`).join(', ')}`,
      );
    }
    if (missing.length === 0 && (await stat(final)).isDirectory()) {
      throw new ToolError(`"${input}" is a directory`);
    }
    if (missing.length > 0 && !(await stat(real)).isDirectory()) {
      throw new ToolError(`"${rel(real)}" is a file, so "${input}" cannot be created under it`);
    }
    return final;
  }

  async function readText(real: string, input: string): Promise<string> {
    const info = await stat(real);
    if (info.isDirectory()) throw new ToolError(`"${input}" is a directory; use list_dir`);
    if (!info.isFile()) throw new ToolError(`"${input}" is not a regular file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new ToolError(`"${input}" is ${info.size} bytes, too large to read (limit ${MAX_FILE_BYTES})`);
    }
    const handle = await open(real, fsConstants.O_RDONLY | O_NOFOLLOW);
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    if (bytes.subarray(0, 8192).includes(0)) {
      throw new ToolError(`"${input}" looks binary (${bytes.length} bytes); not shown`);
    }
    return bytes.toString('utf8');
  }

  async function writeText(real: string, content: string): Promise<void> {
    const handle = await open(
      real,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | O_NOFOLLOW,
      0o666,
    );
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
  }

  async function guarded(run: () => Promise<string>): Promise<ToolResult> {
    try {
      return { ok: true, output: await run() };
    } catch (error) {
      if (error instanceof ToolError) return fail(error.message);
      return fail(errorMessage(error));
    }
  }

  return {
    root,

    read_file: (path, readOptions = {}) =>
      guarded(async () => {
        const real = await resolveExisting(path);
        const text = await readText(real, path);
        const offset = readOptions.offset ?? 1;
        const limit = readOptions.limit;
        if (!Number.isInteger(offset) || offset < 1)
          throw new ToolError('offset must be a whole number from 1');
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
          throw new ToolError('limit must be a whole number from 1');
        }
        if (text.length === 0) return '';
        const lines = text.split(/(?<=\n)/);
        if (offset > lines.length) {
          throw new ToolError(`offset ${offset} is past the end of "${path}" (${lines.length} lines)`);
        }
        const wanted = lines.slice(offset - 1, limit === undefined ? undefined : offset - 1 + limit);
        let out = '';
        let bytes = 0;
        let shown = 0;
        for (const line of wanted) {
          const size = Buffer.byteLength(line);
          if (bytes + size > maxReadBytes) break;
          out += line;
          bytes += size;
          shown += 1;
        }
        if (shown === 0 && wanted.length > 0) {
          const first = wanted[0] ?? '';
          out = Buffer.from(first).subarray(0, maxReadBytes).toString('utf8');
          return `${out}\n[line ${offset} alone is longer than ${maxReadBytes} bytes; shown cut]`;
        }
        const last = offset - 1 + shown;
        if (shown < wanted.length) {
          return `${out}${out.endsWith('\n') ? '' : '\n'}[truncated at ${maxReadBytes} bytes: showed lines ${offset}-${last} of ${lines.length}; read on with offset ${last + 1}]`;
        }
        return out;
      }),

    write_file: (path, content) =>
      guarded(async () => {
        if (typeof content !== 'string') throw new ToolError('content must be a string');
        const size = Buffer.byteLength(content);
        if (size > maxWriteBytes)
          throw new ToolError(`content is ${size} bytes; the limit is ${maxWriteBytes}`);
        const real = await resolveForWrite(path);
        const existed = await exists(real);
        await mkdir(resolve(real, '..'), { recursive: true });
        await writeText(real, content);
        return `${existed ? 'updated' : 'created'} ${rel(real)} (${size} bytes)`;
      }),

    edit_file: (path, oldText, newText) =>
      guarded(async () => {
        if (typeof oldText !== 'string' || typeof newText !== 'string') {
          throw new ToolError('oldText and newText must be strings');
        }
        if (oldText.length === 0)
          throw new ToolError('oldText is empty; use write_file to create or replace a file');
        const real = await resolveForWrite(path);
        if (!(await exists(real)))
          throw new ToolError(`"${path}" does not exist; use write_file to create it`);
        const text = await readText(real, path);

        let find = oldText;
        let replace = newText;
        let positions = occurrences(text, find);
        // Agents write LF; a CRLF file would otherwise never match.
        if (positions.length === 0 && text.includes('\r\n') && !oldText.includes('\r\n')) {
          find = oldText.replace(/\n/g, '\r\n');
          replace = newText.replace(/\r?\n/g, '\r\n');
          positions = occurrences(text, find);
        }
        if (positions.length === 0) {
          throw new ToolError(
            `oldText was not found in "${path}"; it must match the file exactly, including whitespace and indentation (read the file again)`,
          );
        }
        if (positions.length > 1) {
          const lines = positions.slice(0, 10).map((at) => lineOf(text, at));
          throw new ToolError(
            `oldText matches ${positions.length} times in "${path}" (lines ${lines.join(', ')}${positions.length > 10 ? ', …' : ''}); include more surrounding text so it matches exactly once`,
          );
        }
        const at = positions[0] ?? 0;
        const updated = text.slice(0, at) + replace + text.slice(at + find.length);
        const size = Buffer.byteLength(updated);
        if (size > maxWriteBytes)
          throw new ToolError(`the edited file would be ${size} bytes; the limit is ${maxWriteBytes}`);
        await writeText(real, updated);
        return `edited ${rel(real)} at line ${lineOf(text, at)}`;
      }),

    list_dir: (path = '.', listOptions = {}) =>
      guarded(async () => {
        const depth = listOptions.depth ?? 1;
        if (!Number.isInteger(depth) || depth < 1 || depth > MAX_LIST_DEPTH) {
          throw new ToolError(`depth must be a whole number from 1 to ${MAX_LIST_DEPTH}`);
        }
        const real = await resolveExisting(path);
        if (!(await stat(real)).isDirectory()) throw new ToolError(`"${path}" is not a directory`);
        const lines: string[] = [];
        let cut = false;
        const walk = async (dir: string, prefix: string, level: number): Promise<void> => {
          const entries = await readdir(dir, { withFileTypes: true });
          entries.sort(
            (a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name),
          );
          for (const entry of entries) {
            if (entry.name === '.git') continue;
            if (lines.length >= maxListEntries) {
              cut = true;
              return;
            }
            const name = prefix + entry.name;
            if (entry.isSymbolicLink()) {
              // Shown, never followed: the target may be outside, or a loop.
              const target = await readlink(join(dir, entry.name)).catch(() => '?');
              lines.push(`${name} -> ${target}`);
            } else if (entry.isDirectory()) {
              lines.push(`${name}/`);
              if (level < depth) await walk(join(dir, entry.name), `${name}/`, level + 1);
            } else {
              lines.push(name);
            }
          }
        };
        await walk(real, '', 1);
        if (lines.length === 0) return '(empty directory)';
        return lines.join('\n') + (cut ? `\n[truncated at ${maxListEntries} entries; list a subfolder]` : '');
      }),

    search: (pattern, searchOptions = {}) =>
      guarded(async () => {
        if (typeof pattern !== 'string' || pattern.length === 0)
          throw new ToolError('pattern must be a non-empty string');
        if (pattern.includes('\0') || /[\n\r]/.test(pattern))
          throw new ToolError('pattern must be a single line');
        const where = searchOptions.path === undefined ? root : await resolveExisting(searchOptions.path);
        const glob = searchOptions.glob;
        if (glob !== undefined && (glob.includes('\0') || glob.trim() === ''))
          throw new ToolError('glob is invalid');

        const args = ['grep', '-n', '-I', '--no-color', '--full-name'];
        if (await isGitWorktree(root)) args.push('--untracked');
        else args.push('--no-index');
        args.push(searchOptions.literal ? '-F' : '-E');
        if (searchOptions.caseInsensitive) args.push('-i');
        args.push('-e', pattern, '--', pathspec(rel(where), glob));

        const result = await git(args, {
          cwd: root,
          okExitCodes: [1],
          timeoutMs: 30_000,
          maxStdoutBytes: 4 * 1024 * 1024,
        }).catch((error: unknown) => {
          const stderr = (error as { stderr?: string }).stderr?.trim();
          throw new ToolError(`search failed: ${stderr || errorMessage(error)}`);
        });
        if (result.exitCode === 1) return 'no matches';
        const lines = result.stdout.split('\n').filter((line) => line.length > 0);
        const shown = lines
          .slice(0, maxSearchResults)
          .map((line) =>
            line.length > MAX_SEARCH_LINE_CHARS ? `${line.slice(0, MAX_SEARCH_LINE_CHARS)}…` : line,
          );
        const more = result.truncated || lines.length > maxSearchResults;
        return (
          shown.join('\n') + (more ? `\n[more matches not shown; narrow the search with path or glob]` : '')
        );
      }),
  };
}

/** A git pathspec for "under `dir`, matching `glob`"; a glob without `/` matches at any depth. */
function pathspec(dir: string, glob: string | undefined): string {
  if (glob === undefined) return dir === '.' ? ':(literal).' : `:(literal)${dir}`;
  const escapedDir = dir === '.' ? '' : `${dir.replace(/[*?[\]\\]/g, '\\$&')}/`;
  const pattern = glob.startsWith('/') ? glob.slice(1) : glob.includes('/') ? glob : `**/${glob}`;
  return `:(glob)${escapedDir}${pattern}`;
}

async function isGitWorktree(dir: string): Promise<boolean> {
  try {
    const result = await git(['rev-parse', '--is-inside-work-tree'], { cwd: dir, timeoutMs: 10_000 });
    return result.stdout.trim() === 'true';
  } catch {
    return false;
  }
}

/** Normalises a write-scope prefix to `a/b` form; '' means everything; null is unusable. */
function normalizeScope(prefix: string): string | null {
  const parts = prefix
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return null;
  return parts.join('/');
}

function isWithin(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function occurrences(text: string, find: string): number[] {
  const found: number[] = [];
  // Step one character, not one match, so overlapping matches count as ambiguous too.
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + 1)) found.push(at);
  return found;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
