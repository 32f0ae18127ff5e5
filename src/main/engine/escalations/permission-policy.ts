import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ClaudeCodeSpec, McpServerSpec } from '../../../shared/team.js';
import type { MissionRecord } from '../../ledger/mission-repository.js';
import { isCommandAllowed } from '../../workspace/commands.js';
import { TERMINAL_AGENT, type AgentRt, type TeamRt } from '../runtime-types.js';
import { ORCHESTRATION_SERVER } from '../runtimes/claude-code-session.js';

/**
 * The one permission policy: whether an agent's tool use runs, is asked about (its
 * leader's policy decides, or the person does) or is refused, in the same terms whatever
 * runs the agent. The built-in runtime's `run_command` (`roles/coder.ts`) and Claude
 * Code's `PreToolUse` hook (`runtimes/claude-code-policy.ts`) both ask {@link decide};
 * an ask becomes a permission escalation (`escalations.ts`, `raisePermission`).
 *
 * It composes primitives that stay where others use them too: the allowlist matcher
 * (`isCommandAllowed`, `workspace/commands.ts`, which the fleet worker also runs). The
 * risk label the inbox shows beside an asked command (`shared/command-risk.ts`) is for the
 * person deciding; it allows nothing and refuses nothing.
 */

/** What an agent may do without asking, and who may allow the rest. */
export interface AgentPolicy {
  /** Where the agent works (its worktree; a Claude Code session's cwd). */
  root: string;
  /** Commands it may run without asking, in `isCommandAllowed` syntax (see {@link agentPolicy}). */
  allowedCommands: readonly string[];
  /**
   * What its team's leader may allow at once: every command anyone in the team may run.
   * Null or absent when the team has no live leader; then the person is asked.
   */
  leaderAllows?: readonly string[] | null;
  /** Path prefixes it may write under; empty means anywhere in the worktree. */
  writeScope: readonly string[];
  /** Claude Code tools its design offers (a built-in agent's tools are Control Room's, checked by their schemas). */
  tools: readonly string[];
  mcpServers: readonly McpServerSpec[];
  /** The team's "always allow" grants: commands, and file uses outside the policy as `permissionKey` strings. */
  grants: ReadonlySet<string>;
  /** Whether it may write at all (a coder's task); plans, reviews and answers only read. */
  mayWrite: boolean;
}

/** A tool use: a command (a built-in agent's `run_command`), or one of Claude Code's own tools with its input. */
export type ToolUse = { command: string } | { tool: string; input: Record<string, unknown> };

/** An ask: who answers, why, and what exactly is asked for (a command, or a tool on a path such as `Write(src/a.js)`). */
export interface AskVerdict {
  behavior: 'ask_leader' | 'ask_person';
  reason: string;
  /** What the escalation asks for, and what an "always allow" of it grants. */
  subject: string;
}

export type Verdict = { behavior: 'allow' } | AskVerdict | { behavior: 'deny'; reason: string };

export function isAsk(verdict: Verdict): verdict is AskVerdict {
  return verdict.behavior === 'ask_leader' || verdict.behavior === 'ask_person';
}

// ------------------------------------------------------------------ who may run what

/** Every command anyone in the team may run: the mission's, each agent's own, and the team's "always allow" rules. */
export function teamAllowlist(mission: Pick<MissionRecord, 'allowedCommands'>, team: TeamRt, rules: Iterable<string>): string[] {
  const out = new Set<string>(mission.allowedCommands);
  for (const a of team.all) for (const c of a.spec?.permissions.allowedCommands ?? []) out.add(c);
  for (const c of rules) out.add(c);
  return [...out];
}

/** The commands an agent may run without asking: the mission's, its own, and its team's "always allow" rules. */
export function agentAllowlist(mission: Pick<MissionRecord, 'allowedCommands'>, agent: AgentRt, rules: Iterable<string>): string[] {
  return [...new Set([...mission.allowedCommands, ...(agent.spec?.permissions.allowedCommands ?? []), ...rules])];
}

/** The policy of one agent's job. */
export function agentPolicy(p: {
  mission: Pick<MissionRecord, 'allowedCommands'>;
  team: TeamRt;
  agent: AgentRt;
  /** The team's "always allow" rules. */
  rules: ReadonlySet<string>;
  root: string;
  mayWrite: boolean;
  /** The agent's Claude Code settings when it runs on Claude Code, else null. */
  claudeCode: ClaudeCodeSpec | null;
}): AgentPolicy {
  const team = teamAllowlist(p.mission, p.team, p.rules);
  const leader = p.team.leader;
  return {
    root: p.root,
    // A coder runs what it was given; a leader or reviewer anything its team may run.
    allowedCommands: p.agent.rec.role === 'coder' ? agentAllowlist(p.mission, p.agent, p.rules) : team,
    leaderAllows: leader !== undefined && !TERMINAL_AGENT.includes(leader.rec.state) ? team : null,
    writeScope: p.agent.spec?.permissions.writeScope ?? [],
    tools: p.claudeCode?.allowedTools ?? [],
    mcpServers: p.claudeCode?.mcpServers ?? [],
    grants: p.rules,
    mayWrite: p.mayWrite,
  };
}

// ------------------------------------------------------------------ the decision

const WRITE_TOOLS: Record<string, string> = { Write: 'file_path', Edit: 'file_path', MultiEdit: 'file_path', NotebookEdit: 'notebook_path' };
const READ_TOOLS: Record<string, string> = { Read: 'file_path', Glob: 'path', Grep: 'path', LS: 'path' };
const FREE_TOOLS = new Set(['TodoWrite', 'WebFetch', 'WebSearch']);

/**
 * Decides one tool use. Commands on the agent's allowlist run; Control Room's tools and
 * the MCP servers its design gives it run; files inside its worktree are read, and
 * written inside its write scope (never into `.git`). Anything else is asked: of the
 * leader when it is on the team's allowlist (its policy then allows it at once), else of
 * the person. Tools the design never gave the agent are refused. Pure but for resolving
 * symlinks on disk.
 */
export function decide(use: ToolUse, policy: AgentPolicy): Verdict {
  if ('command' in use) return decideCommand(use.command, use.command, policy);
  const { tool, input } = use;
  if (tool.startsWith('mcp__')) {
    const server = tool.slice(5, tool.indexOf('__', 5));
    if (server === ORCHESTRATION_SERVER || policy.mcpServers.some((s) => s.name === server)) return { behavior: 'allow' };
    return { behavior: 'deny', reason: `the MCP server "${server}" is not one this agent's design gives it` };
  }
  if (!policy.tools.includes(tool)) return { behavior: 'deny', reason: `${tool} is not one of this agent's tools` };
  if (FREE_TOOLS.has(tool)) return { behavior: 'allow' };

  if (tool === 'Bash') {
    const command = typeof input.command === 'string' ? input.command : '';
    if (command.trim() === '') return { behavior: 'deny', reason: 'an empty command' };
    return decideCommand(command, permissionSubject(policy.root, tool, input), policy);
  }

  const writeField = WRITE_TOOLS[tool];
  const field = writeField ?? READ_TOOLS[tool];
  if (!field) return { behavior: 'deny', reason: `${tool} is not a tool Control Room knows how to police` };
  const given = input[field];
  // Glob, Grep and LS default to the working directory.
  if (given === undefined && !writeField) return { behavior: 'allow' };
  if (typeof given !== 'string' || given.includes('\0')) return { behavior: 'deny', reason: `${tool} needs a path` };
  const rel = worktreePath(policy.root, given);
  if (rel !== null && writeField && (rel === '.git' || rel.startsWith('.git/'))) {
    return { behavior: 'deny', reason: 'writes into .git are never allowed' };
  }
  if (policy.grants.has(permissionKey(tool, rel ?? given))) return { behavior: 'allow' };
  const asked = (reason: string): AskVerdict => ask(policy, permissionSubject(policy.root, tool, input), reason);
  if (rel === null) return asked(`${given} is outside the agent's worktree`);
  if (!writeField) return { behavior: 'allow' };
  if (!policy.mayWrite) return asked(`this agent reviews or plans; it does not write files (${rel})`);
  if (!inScope(rel, policy.writeScope)) return asked(`${rel} is outside the agent's write scope (${policy.writeScope.join(', ')})`);
  return { behavior: 'allow' };
}

function decideCommand(command: string, subject: string, policy: AgentPolicy): Verdict {
  if (isCommandAllowed(command, policy.allowedCommands)) return { behavior: 'allow' };
  return ask(policy, subject, `\`${command.slice(0, 200)}\` is not on the agent's allowlist`);
}

/** The leader answers what anyone in its team may run (its policy allows it at once); the person everything else. */
function ask(policy: AgentPolicy, subject: string, reason: string): AskVerdict {
  const leaderMayAllow = policy.leaderAllows ? isCommandAllowed(subject, policy.leaderAllows) : false;
  return { behavior: leaderMayAllow ? 'ask_leader' : 'ask_person', reason, subject };
}

// ------------------------------------------------------------------ paths

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

/** What a permission is asked (and granted) for: a Bash command, or a tool on a path. */
export function permissionSubject(root: string, toolName: string, input: Record<string, unknown>): string {
  return toolName === 'Bash' ? String(input.command ?? '') : permissionKey(toolName, pathOf(root, input) ?? toolName);
}

function pathOf(root: string, input: Record<string, unknown>): string | null {
  const given = input.file_path ?? input.notebook_path ?? input.path;
  if (typeof given !== 'string') return null;
  return worktreePath(root, given) ?? given;
}

function inScope(rel: string, scope: readonly string[]): boolean {
  if (scope.length === 0) return true;
  return scope.some((prefix) => {
    const p = prefix.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
    return p === '' || p === '.' || rel === p || rel.startsWith(`${p}/`);
  });
}
