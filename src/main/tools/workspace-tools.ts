import type { CommandOutcome } from '../workspace/commands.js';
import type { FileTools, ToolResult } from '../workspace/file-tools.js';
import type { ToolOutcome } from './agent-tools.js';

/**
 * The coder's file tools as tool calls: one place that turns a validated `read_file`,
 * `write_file`, `edit_file`, `list_dir` or `search` call into its outcome, used in the
 * engine's own worktrees and by fleet workers in theirs.
 */

/** Tools that only touch the coder's worktree; a fleet worker runs them (and allowlisted `run_command`s) itself. */
export const FILE_TOOLS: ReadonlySet<string> = new Set(['read_file', 'write_file', 'edit_file', 'list_dir', 'search']);

/** Runs one file tool call; null for a tool that is not a file tool. Writes and edits count as progress. */
export async function runFileTool(files: FileTools, name: string, input: Record<string, unknown>): Promise<ToolOutcome | null> {
  const fromFiles = (r: ToolResult, progress = false): ToolOutcome =>
    r.ok ? { content: r.output, progress } : { content: r.error, isError: true };
  switch (name) {
    case 'read_file': {
      const offset = typeof input.offset === 'number' && input.offset >= 1 ? input.offset : undefined;
      const limit = typeof input.limit === 'number' ? input.limit : undefined;
      return fromFiles(await files.read_file(String(input.path), { ...(offset ? { offset } : {}), ...(limit ? { limit } : {}) }));
    }
    case 'write_file':
      return fromFiles(await files.write_file(String(input.path), String(input.content)), true);
    case 'edit_file':
      return fromFiles(await files.edit_file(String(input.path), String(input.old_text), String(input.new_text)), true);
    case 'list_dir':
      return fromFiles(await files.list_dir(String(input.path ?? '.'), typeof input.depth === 'number' ? { depth: input.depth } : {}));
    case 'search':
      return fromFiles(await files.search(String(input.pattern), typeof input.path === 'string' ? { path: input.path } : {}));
    default:
      return null;
  }
}

/** A command's outcome as a tool result (and a review prompt's test output). */
export function formatCommandOutcome(command: string, outcome: CommandOutcome & { kind: 'ran' }): string {
  const status = outcome.timedOut ? 'timed out' : outcome.exitCode === null ? `killed by ${outcome.signal ?? 'a signal'}` : `exit code ${outcome.exitCode}`;
  return `$ ${command}\n(${status}, ${Math.round(outcome.durationMs)} ms)\n${outcome.output}`;
}
