import type { RequestToolUseBlock } from '../../llm/provider.js';
import { runCommand } from '../../workspace/commands.js';
import { createFileTools, type FileTools } from '../../workspace/file-tools.js';
import { renderForSummary } from '../conversation.js';
import { decide, decideFileWrite } from '../escalations/permission-policy.js';
import type { MissionHost } from '../mission-host.js';
import type { EscalationRecord, TaskRecord } from '../../ledger/mission-repository.js';
import { taskPrompt } from '../prompts.js';
import { CONFLICT_FEEDBACK, done, TERMINAL_AGENT, type AgentRt, type TeamRt, type ToolOutcome } from '../runtime-types.js';
import { coderTools } from '../../tools/agent-tools.js';
import { FILE_TOOLS, formatCommandOutcome, runFileTool } from '../../tools/workspace-tools.js';

/**
 * What a coder does: works one claimed task in its own worktree with the file and
 * command tools, asks its leader when stuck, and submits the work for review. Which task
 * it claims is scheduling's (`scheduling.ts`).
 */

/**
 * A coder's task job: a fresh claim starts from the team branch (a rework of its own
 * rejected submission keeps its work), then the coder works through its tools until it
 * submits, must wait for an escalation, or stalls.
 */
export async function runTask(h: MissionHost, team: TeamRt, agent: AgentRt, task: TaskRecord): Promise<void> {
  const ws = h.requireWorkspace();
  const conv = h.openConversation(agent, `task:${task.id}:c${task.claims}`);
  if (conv.messages.length === 0) {
    // A fresh claim starts from the team branch, unless it is the same coder reworking
    // its own rejected submission: then the review feedback applies to the work it has.
    // A conflict cannot be reworked in place, and another task's work must not leak in.
    const last = h.ctx.store.lastTaskConversation(h.mission.id, agent.rec.id);
    const rework =
      task.attempts > 0 && last?.startsWith(`task:${task.id}:`) === true && !(task.feedback ?? '').includes(CONFLICT_FEEDBACK);
    if (!rework) {
      h.setAgentState(agent, 'waiting_tool', 'preparing the worktree');
      await ws.resetCoderToTeam(agent.rec.id);
      h.ensureRunnable(agent);
    }
    h.appendMessage(agent, conv, {
      role: 'user',
      content: taskPrompt({ mission: h.mission, task, allowedCommands: h.coderAllowlist(team, agent) }),
    });
  }
  const current = h.tasks.get(task.id) ?? task;
  if (current.state === 'claimed') h.saveTask(current, { state: 'in_progress' }, { agentId: agent.rec.id });
  h.setAgentState(agent, 'working');
  const end = await h.driverFor(agent).run({
    kind: 'task',
    team,
    agent,
    conv,
    tools: coderTools,
    taskId: task.id,
    handle: (use, input) => coderTool(h, team, agent, task.id, use, input),
  });
  if (end === 'stalled') raiseCoderStall(h, team, agent, task.id);
}

/** The coder's file tools, confined to its worktree and its design's write scope. */
function files(h: MissionHost, agent: AgentRt): FileTools {
  agent.files ??= createFileTools(h.requireWorkspace().coderWorktree(agent.rec.id), {
    writeScope: agent.spec?.permissions.writeScope ?? [],
  });
  return agent.files;
}

/** Carries out one of the coder's tool calls (validated against `coderTools`). */
async function coderTool(
  h: MissionHost,
  team: TeamRt,
  agent: AgentRt,
  taskId: string,
  use: RequestToolUseBlock,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  if (use.name === 'write_file' || use.name === 'edit_file') return writeTool(h, team, agent, taskId, use, input);
  const fileOutcome = FILE_TOOLS.has(use.name) ? await runFileTool(files(h, agent), use.name, input) : null;
  if (fileOutcome) return fileOutcome;
  switch (use.name) {
    case 'run_command':
      return runCommandTool(h, team, agent, taskId, use, String(input.command));
    case 'ask_leader':
      return askLeader(h, team, agent, taskId, use, String(input.question));
    case 'submit_task':
      return submitTask(h, agent, taskId, String(input.summary));
    default:
      return { content: `unknown tool "${use.name}"`, isError: true };
  }
}

/**
 * `run_command`: what the permission policy allows runs at once; what it asks about runs
 * once approved (the leader's policy may approve it as it is raised). A resumed agent
 * finds the decision by its tool use.
 */
async function runCommandTool(h: MissionHost, team: TeamRt, agent: AgentRt, taskId: string, use: RequestToolUseBlock, command: string): Promise<ToolOutcome> {
  const cwd = h.requireWorkspace().coderWorktree(agent.rec.id);
  const asked = h.escalationForTool(agent, use.id);
  const run = async (): Promise<ToolOutcome> => {
    h.setAgentState(agent, 'waiting_tool', `running ${command.slice(0, 80)}`);
    const outcome = await runCommand(command.trim(), { cwd, timeoutMs: h.ctx.options.commandTimeoutMs });
    h.ensureRunnable(agent);
    h.setAgentState(agent, 'working');
    return { content: formatCommandOutcome(command, outcome), isError: outcome.exitCode !== 0 };
  };
  if (asked) {
    if (asked.state === 'open') return { content: '', block: true };
    if (asked.decision === 'approve') return run();
    return {
      content: `The person did not allow \`${command}\`.${asked.comment ? ` Their comment: ${asked.comment}` : ''}`,
      isError: true,
    };
  }
  const verdict = decide({ command }, h.policyFor({ kind: 'task', team, agent }, cwd));
  if (verdict.behavior === 'allow') return run();
  if (verdict.behavior === 'deny') return { content: verdict.reason, isError: true };
  h.raisePermission(team, agent, taskId, use, verdict);
  const decided = h.escalationForTool(agent, use.id);
  if (decided && decided.state === 'resolved' && decided.decision === 'approve') return run();
  return { content: '', block: true };
}

/**
 * `write_file` and `edit_file`: the file tools keep the coder in its worktree and write
 * scope; the permission policy holds it to its task's owned paths. A write outside them is
 * refused with whose path it is, or asked of the leader and run once allowed, as the
 * mission's `ownership` setting says (the same verdict a Claude Code coder's Write gets).
 */
async function writeTool(
  h: MissionHost,
  team: TeamRt,
  agent: AgentRt,
  taskId: string,
  use: RequestToolUseBlock,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const run = async (): Promise<ToolOutcome> =>
    (await runFileTool(files(h, agent), use.name, input)) ?? { content: `unknown tool "${use.name}"`, isError: true };
  const path = String(input.path);
  const asked = h.escalationForTool(agent, use.id);
  if (asked) {
    if (asked.state === 'open') return { content: '', block: true };
    if (asked.decision === 'approve') return run();
    const who = asked.decidedBy === 'leader' ? 'Your leader' : asked.decidedBy === 'timeout' ? 'Nobody answered in time, so Control Room' : 'The person';
    return { content: `${who} did not allow writing ${path}.${asked.comment ? ` Their comment: ${asked.comment}` : ''}`, isError: true };
  }
  const cwd = h.requireWorkspace().coderWorktree(agent.rec.id);
  const verdict = decideFileWrite(use.name === 'write_file' ? 'Write' : 'Edit', path, h.policyFor({ kind: 'task', team, agent }, cwd));
  if (verdict.behavior === 'allow') return run();
  if (verdict.behavior === 'deny') return { content: verdict.reason, isError: true };
  h.raisePermission(team, agent, taskId, use, verdict);
  const decided = h.escalationForTool(agent, use.id);
  if (decided && decided.state === 'resolved' && decided.decision === 'approve') return run();
  return { content: '', block: true };
}

/** `ask_leader`: the question goes to the leader (or the person, with no leader left); the coder waits for the answer. */
function askLeader(h: MissionHost, team: TeamRt, agent: AgentRt, taskId: string, use: RequestToolUseBlock, question: string): Promise<ToolOutcome> {
  const asked = h.escalationForTool(agent, use.id);
  if (asked) {
    if (asked.state === 'open') return done({ content: '', block: true });
    return done({ content: answerText(asked) });
  }
  const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
  h.raise({
    type: 'question',
    level: leaderAlive ? 'leader' : 'human',
    teamId: team.rec.id,
    agentId: agent.rec.id,
    taskId,
    title: `${agent.rec.name} asks: ${question.slice(0, 120)}`,
    detail: question,
    payload: {},
    toolUseId: use.id,
  });
  return done({ content: '', block: true });
}

/** `submit_task`: commits the worktree and hands the task to review. */
async function submitTask(h: MissionHost, agent: AgentRt, taskId: string, summary: string): Promise<ToolOutcome> {
  const task = h.tasks.get(taskId);
  if (!task || task.state !== 'in_progress' || task.assignee !== agent.rec.id) {
    return { content: 'This task is no longer yours to submit.', end: true };
  }
  h.setAgentState(agent, 'waiting_tool', 'committing');
  const commit = await h.requireWorkspace().commitCoderWork(agent.rec.id, `${task.title}\n\n${summary}`, agent.rec.name);
  h.ensureRunnable(agent);
  h.ctx.store.tx(() => {
    h.saveTask(task, { state: 'submitted', submissionSummary: summary }, { commit });
    h.setAgentState(agent, 'idle', 'waiting for review');
  });
  const team = h.teams.get(task.teamId);
  if (team) h.wakeLeads(team);
  return { content: 'Submitted for review. Your leader will review it.', progress: true, end: true };
}

/** A coder that stopped making progress: the leader decides the first stall of a task, the person the next. */
function raiseCoderStall(h: MissionHost, team: TeamRt, agent: AgentRt, taskId: string): void {
  const task = h.tasks.get(taskId);
  if (!task) return;
  const stalls = task.stalls + 1;
  const leaderAlive = team.leader !== undefined && !TERMINAL_AGENT.includes(team.leader.rec.state);
  const toLeader = stalls === 1 && leaderAlive;
  const recent = agent.conv ? renderForSummary(agent.conv.messages.slice(-6), 300) : '';
  h.ctx.store.tx(() => {
    h.saveTask(task, { stalls });
    h.raise({
      type: 'stall',
      level: toLeader ? 'leader' : 'human',
      teamId: team.rec.id,
      agentId: agent.rec.id,
      taskId,
      title: `${agent.rec.name} made no progress on "${task.title}"`,
      detail:
        `${agent.rec.turnsWithoutProgress} turns without writing a file or submitting (stall ${stalls}).` +
        (toLeader ? '' : ' Approve or reply (as guidance) to reset the task and try again; deny to give the task up.') +
        `\n\nRecent activity:\n${recent}`,
      payload: { stalls, turns: agent.rec.turnsWithoutProgress },
    });
  });
}


/** How an answered escalation reads to the coder that asked. */
function answerText(e: EscalationRecord): string {
  const who = e.decidedBy === 'leader' ? 'your leader' : e.decidedBy === 'timeout' ? 'nobody in time (default action)' : 'the person';
  if (e.state === 'cancelled') return `The question was withdrawn: ${e.comment ?? ''}`;
  if (e.decision === 'reply') return `Answer from ${who}: ${e.comment ?? ''}`;
  if (e.decision === 'approve') return `Approved by ${who}.${e.comment ? ` ${e.comment}` : ''}`;
  return `Declined by ${who}.${e.comment ? ` ${e.comment}` : ''} Use your best judgement.`;
}

