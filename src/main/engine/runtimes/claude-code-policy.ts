import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { McpServerSpec } from '../../../shared/team.js';
import { isCommandAllowed } from '../../workspace/commands.js';
import { ORCHESTRATION_SERVER, type PolicyVerdict } from './claude-code-session.js';

/**
 * What a Claude Code agent may do without asking, in the same terms as a built-in agent:
 * files inside its worktree (writes only inside its write scope, never into `.git`),
 * commands on its allowlist (its own, the mission's and the team's "always allow" rules),
 * Control Room's tools and the MCP servers its design gives it. Anything else is asked
 * (it becomes an inbox item) or, for tools the design never gave it, refused.
 */
export interface ClaudeCodePolicy {
  /** The agent's worktree (its session's cwd). */
  root: string;
  /** Commands it may run (own + mission + team rules); `isCommandAllowed` syntax. */
  allowedCommands: readonly string[];
  /** Path prefixes it may write under; empty means anywhere in the worktree. */
  writeScope: readonly string[];
  /** Claude Code tools its design offers. */
  tools: readonly string[];
  mcpServers: readonly McpServerSpec[];
  /** "Always allow for this team" grants of file access outside the policy, as `permissionKey` strings. */
  grants: ReadonlySet<string>;
  /** Whether it may write at all (coders); leaders and reviewers only read. */
  mayWrite: boolean;
}

const WRITE_TOOLS: Record<string, string> = { Write: 'file_path', Edit: 'file_path', MultiEdit: 'file_path', NotebookEdit: 'notebook_path' };
const READ_TOOLS: Record<string, string> = { Read: 'file_path', Glob: 'path', Grep: 'path', LS: 'path' };
const FREE_TOOLS = new Set(['TodoWrite', 'WebFetch', 'WebSearch']);

/** The real path of `target`, or of its nearest existing ancestor joined with the rest (for files not yet written). */
function realish(target: string): string {
  let head = target;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail.length === 0 ? real : resolve(real, ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return target;
      tail.push(head.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      head = parent;
    }
  }
}

function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where a tool's path points, relative to the worktree (with `/`), or null when it is outside. */
export function worktreePath(root: string, path: string): string | null {
  const realRoot = realish(resolve(root));
  const target = realish(resolve(realRoot, path));
  if (!within(realRoot, target)) return null;
  const rel = relative(realRoot, target).split(sep).join('/');
  return rel === '' ? '.' : rel;
}

/** The string an "always allow" grant of one file use is stored as, e.g. `Write(src/a.js)`. */
export function permissionKey(toolName: string, path: string): string {
  return `${toolName}(${path})`;
}

function inScope(rel: string, scope: readonly string[]): boolean {
  if (scope.length === 0) return true;
  return scope.some((prefix) => {
    const p = prefix.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
    return p === '' || p === '.' || rel === p || rel.startsWith(`${p}/`);
  });
}

/** Decides one tool use; see {@link ClaudeCodePolicy}. Pure but for resolving symlinks on disk. */
export function decideToolUse(policy: ClaudeCodePolicy, toolName: string, input: Record<string, unknown>): PolicyVerdict {
  if (toolName.startsWith('mcp__')) {
    const server = toolName.slice(5, toolName.indexOf('__', 5));
    if (server === ORCHESTRATION_SERVER || policy.mcpServers.some((s) => s.name === server)) return { behavior: 'allow' };
    return { behavior: 'deny', reason: `the MCP server "${server}" is not one this agent's design gives it` };
  }
  const offered = policy.tools.includes(toolName);
  if (!offered) return { behavior: 'deny', reason: `${toolName} is not one of this agent's tools` };
  if (FREE_TOOLS.has(toolName)) return { behavior: 'allow' };

  if (toolName === 'Bash') {
    const command = typeof input.command === 'string' ? input.command : '';
    if (command.trim() === '') return { behavior: 'deny', reason: 'an empty command' };
    if (isCommandAllowed(command, policy.allowedCommands)) return { behavior: 'allow' };
    return { behavior: 'ask', reason: `\`${command.slice(0, 200)}\` is not on the agent's allowlist` };
  }

  const writeField = WRITE_TOOLS[toolName];
  const field = writeField ?? READ_TOOLS[toolName];
  if (!field) return { behavior: 'deny', reason: `${toolName} is not a tool Control Room knows how to police` };
  const given = input[field];
  // Glob, Grep and LS default to the working directory.
  if (given === undefined && !writeField) return { behavior: 'allow' };
  if (typeof given !== 'string' || given.includes('\0')) return { behavior: 'deny', reason: `${toolName} needs a path` };
  const rel = worktreePath(policy.root, given);
  if (rel !== null && writeField && (rel === '.git' || rel.startsWith('.git/'))) {
    return { behavior: 'deny', reason: 'writes into .git are never allowed' };
  }
  const key = permissionKey(toolName, rel ?? given);
  if (policy.grants.has(key)) return { behavior: 'allow' };
  if (rel === null) return { behavior: 'ask', reason: `${given} is outside the agent's worktree` };
  if (!writeField) return { behavior: 'allow' };
  if (!policy.mayWrite) return { behavior: 'ask', reason: `this agent reviews or plans; it does not write files (${rel})` };
  if (!inScope(rel, policy.writeScope)) {
    return { behavior: 'ask', reason: `${rel} is outside the agent's write scope (${policy.writeScope.join(', ')})` };
  }
  return { behavior: 'allow' };
}
