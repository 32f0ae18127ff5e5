import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { OwnershipPolicy } from '../../../shared/mission.js';
import { ownerOf, owningPath } from '../../../shared/ownership.js';
import { teamBrief, type ClaudeCodeSpec, type McpServerSpec } from '../../../shared/team.js';
import type { MissionRecord, TaskRecord } from '../../ledger/mission-repository.js';
import { isCommandAllowed } from '../../workspace/commands.js';
import { TERMINAL_AGENT, type AgentRt, type TeamRt } from '../runtime-types.js';
import { ORCHESTRATION_SERVER } from '../runtimes/claude-code-session.js';
import { teamTitle } from '../../../shared/team-label.js';

/**
 * The one permission policy: whether an agent's tool use runs, is asked about (its
 * leader's policy decides, or the person does) or is refused, in the same terms whatever
 * runs the agent. The built-in runtime's `run_command` (`roles/coder.ts`) and Claude
 * Code's `PreToolUse` hook (`runtimes/claude-code-policy.ts`) both ask {@link decide};
 * an ask becomes a permission escalation (`escalations.ts`, `raisePermission`).
 *
 * It composes primitives that stay where others use them too: the allowlist matcher
 * (`isCommandAllowed`, `workspace/commands.ts`, which the fleet worker also runs) and the
 * overlap rule of owned paths (`shared/ownership.ts`, which plans are checked by too). The
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
  /**
   * The paths its task owns and what a write elsewhere comes to; null or absent when the
   * job is no task or its task owns no paths (then the write scope alone bounds writes).
   */
  ownership?: TaskOwnership | null;
}

/** A task's owned paths, the mission's policy for writes outside them, and who owns the rest. */
export interface TaskOwnership {
  /** The task's `owns`, as its leader wrote them. */
  owns: readonly string[];
  /** The mission's `ownership` setting. */
  policy: OwnershipPolicy;
  /** Everyone else who owns paths (the mission's other tasks, then the teams' briefs), named for the message. */
  others: readonly { label: string; owns: readonly string[] }[];
}

/** A tool use: a command (a built-in agent's `run_command`), or one of Claude Code's own tools with its input. */
export type ToolUse = { command: string } | { tool: string; input: Record<string, unknown> };

/** An ask: who answers, why, and what exactly is asked for (a command, or a tool on a path such as `Write(src/a.js)`). */
export interface AskVerdict {
  behavior: 'ask_leader' | 'ask_person';
  reason: string;
  /** What the escalation asks for, and what an "always allow" of it grants. */
  subject: string;
  /**
   * Set for a write outside the task's owned paths (the mission's policy 'ask_leader'):
   * then `ask_leader` is a question the leader itself answers, not one its policy allows
   * at once. `owner` names whose path it is, null when nobody's.
   */
  ownership?: { path: string; owner: string | null };
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
  /** Its task's owned paths (`taskOwnership`), for a coder's task. */
  ownership?: TaskOwnership | null;
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
    ownership: p.mayWrite ? (p.ownership ?? null) : null,
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
  return decideOwnership(rel, permissionSubject(policy.root, tool, input), policy);
}

/**
 * A built-in coder's `write_file` (`Write`) or `edit_file` (`Edit`) as the policy sees it:
 * only the task's owned paths, since the file tools themselves keep it in its worktree,
 * out of `.git` and inside its write scope. A file use the team was granted for good
 * (an "always allow" of an earlier ask) is allowed, as for Claude Code.
 */
export function decideFileWrite(tool: 'Write' | 'Edit', path: string, policy: AgentPolicy): Verdict {
  const rel = worktreePath(policy.root, path);
  // Outside the worktree: the file tools refuse it with their own message.
  if (rel === null) return { behavior: 'allow' };
  const subject = permissionKey(tool, rel);
  if (policy.grants.has(subject)) return { behavior: 'allow' };
  return decideOwnership(rel, subject, policy);
}

/**
 * A write inside the worktree and the write scope, against the task's owned paths: inside
 * them (or with no owned paths) it runs; outside, it is refused with whose path it is, or
 * asked of the leader (of the person when the team has no live leader), as the mission says.
 */
function decideOwnership(rel: string, subject: string, policy: AgentPolicy): Verdict {
  const own = policy.ownership;
  if (!own || own.owns.length === 0 || owningPath(own.owns, rel) !== null) return { behavior: 'allow' };
  const found = ownerOf(own.others, rel);
  const owner = found?.owner.label ?? null;
  const mine = own.owns.join(', ');
  if (own.policy === 'ask_leader') {
    const whose = owner ? `it belongs to ${owner}` : 'no task owns it';
    return {
      behavior: policy.leaderAllows ? 'ask_leader' : 'ask_person',
      reason: `${rel} is outside the paths the task owns (${mine}); ${whose}`,
      subject,
      ownership: { path: rel, owner },
    };
  }
  const whose = owner ? `${rel} belongs to ${owner}, not to your task` : `${rel} is not one of your task's paths and no task owns it`;
  return {
    behavior: 'deny',
    reason: `${whose}. Your task owns only: ${mine}. Write there, or ask your leader if the task needs more.`,
  };
}

/**
 * The ownership of one task's job, or null when the task owns no paths. The other owners
 * are the mission's tasks that still stand (not cancelled or given up), then the teams'
 * briefs, so a path is named by its most specific owner.
 */
export function taskOwnership(p: {
  mission: Pick<MissionRecord, 'settings' | 'design'>;
  task: TaskRecord;
  tasks: Iterable<TaskRecord>;
  teamName: (teamId: string) => string;
}): TaskOwnership | null {
  if (p.task.owns.length === 0) return null;
  const others: { label: string; owns: readonly string[] }[] = [];
  for (const t of p.tasks) {
    if (t.id === p.task.id || t.state === 'cancelled' || t.state === 'dead_letter' || t.owns.length === 0) continue;
    const team = t.teamId === p.task.teamId ? 'your team' : teamTitle(p.teamName(t.teamId));
    others.push({ label: `task "${t.key}" (${t.title.slice(0, 80)}) of ${team}`, owns: t.owns });
  }
  for (const team of p.mission.design.teams) {
    const owns = teamBrief(team).owns;
    if (owns.length > 0) others.push({ label: `${teamTitle(team.name)} (its brief)`, owns });
  }
  // Missions from before the setting read it as its default.
  return { owns: p.task.owns, policy: (p.mission.settings.ownership as OwnershipPolicy | undefined) ?? 'refuse', others };
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
