import type { RequestToolUseBlock } from '../../llm/provider.js';
import type { MissionHost } from '../mission-host.js';
import type { TaskRecord } from '../../ledger/mission-repository.js';
import { reviewPrompt } from '../prompts.js';
import { CONFLICT_FEEDBACK, TERMINAL_AGENT, type AgentRt, type TeamRt, type ToolOutcome } from '../runtime-types.js';
import { reviewTools } from '../../tools/agent-tools.js';
import { raiseLeaderStall } from './leader.js';
import { runRecordedTests } from '../test-recording.js';

/**
 * What a reviewer does: decides one submitted task. A team's reviewers take reviews
 * while any is alive; otherwise its leader runs this same job (`scheduling.ts`).
 */

/** A review job: the reviewer reads the coder's diff and test output, then approves (merges) or rejects it. */
export async function runReview(h: MissionHost, team: TeamRt, reviewer: AgentRt, task: TaskRecord): Promise<void> {
  const ws = h.requireWorkspace();
  const coderId = task.assignee;
  const coder = coderId ? h.agents.get(coderId) : undefined;
  if (!coderId || !coder) {
    h.saveTask(task, { state: 'ready', assignee: null }, { reason: 'the submission has no coder' });
    return;
  }
  const conv = h.openConversation(reviewer, `review:${task.id}:a${task.attempts}`);
  if (conv.messages.length === 0) {
    h.setAgentState(reviewer, 'waiting_tool', `reading ${coder.rec.name}'s diff`);
    const diff = await ws.diffCoder(coderId);
    const testCommand = h.teamAllowlist(team).find((c) => /\btest\b/.test(c) && !c.endsWith('*')) ?? null;
    let testOutput: string | null = null;
    if (testCommand) {
      testOutput = await runRecordedTests(h, testCommand, ws.coderWorktree(coderId), {
        stage: 'review',
        teamId: team.rec.id,
        taskId: task.id,
        agentId: reviewer.rec.id,
      });
    }
    h.ensureRunnable(reviewer);
    h.appendMessage(reviewer, conv, {
      role: 'user',
      content: reviewPrompt({
        mission: h.mission,
        task,
        coderName: coder.rec.name,
        diff: diff.diff,
        filesChanged: diff.files.map((f) => f.path),
        testCommand,
        testOutput,
      }),
    });
  }
  h.setAgentState(reviewer, 'working');
  const end = await h.driverFor(reviewer).run({
    kind: 'review',
    team,
    agent: reviewer,
    conv,
    tools: reviewTools,
    taskId: task.id,
    handle: (use, input) => reviewTool(h, team, reviewer, task.id, use, input),
  });
  if (end === 'stalled') raiseLeaderStall(h, team, reviewer, `reviewing "${task.title}"`);
}

/** `approve_submission` merges the coder's branch into the team branch; `reject_submission` sends it back. */
async function reviewTool(h: MissionHost, team: TeamRt, reviewer: AgentRt, taskId: string, use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome> {
  const task = h.tasks.get(taskId);
  if (!task || (task.state !== 'submitted' && task.state !== 'reviewed')) {
    return { content: 'This submission was already decided.', end: true };
  }
  if (use.name === 'reject_submission') {
    rejectTask(h, team, task, String(input.feedback));
    return { content: 'Rejected; the task goes back to the coders with your feedback.', progress: true, end: true };
  }
  const coderId = task.assignee ?? '';
  const reviewed = task.state === 'reviewed' ? task : h.saveTask(task, { state: 'reviewed' }, { by: reviewer.rec.id, comment: String(input.comment ?? '') });
  h.setAgentState(reviewer, 'waiting_tool', 'merging');
  const outcome = await h.requireWorkspace().mergeCoderIntoTeam(coderId, {
    author: reviewer.rec.name,
    message: `${task.title} (${h.agents.get(coderId)?.rec.name ?? coderId})`,
  });
  h.ensureRunnable(reviewer);
  if (!outcome.merged) {
    rejectTask(h, team, reviewed, `${CONFLICT_FEEDBACK} in ${outcome.conflicts.join(', ')}; redo it on top of the latest team branch.`);
    return { content: `The merge conflicted (${outcome.conflicts.join(', ')}); the task goes back to the coders.`, end: true };
  }
  const coder = h.agents.get(coderId);
  h.ctx.store.tx(() => {
    h.saveTask(reviewed, { state: 'merged', mergedCommit: outcome.commit }, { commit: outcome.commit });
    if (coder && coder.rec.currentTaskId === taskId) {
      if (TERMINAL_AGENT.includes(coder.rec.state)) h.saveAgentQuiet(coder, { currentTaskId: null });
      else h.setAgentState(coder, 'idle', null, { currentTaskId: null });
    }
    h.setAgentState(reviewer, 'working');
  });
  return { content: `Merged into the team branch (${outcome.commit.slice(0, 12)}).`, progress: true, end: true };
}

/** The task goes back to its coder with the feedback, or to the dead letters after too many attempts. */
function rejectTask(h: MissionHost, team: TeamRt, task: TaskRecord, feedback: string): void {
  const attempts = task.attempts + 1;
  const coder = task.assignee ? h.agents.get(task.assignee) : undefined;
  const dead = attempts >= h.mission.settings.maxAttempts;
  // The rework goes back to the coder who did the work, if it is still alive.
  const again = coder && !TERMINAL_AGENT.includes(coder.rec.state) ? coder.rec.id : task.preferredAssignee;
  h.ctx.store.tx(() => {
    h.saveTask(task, { state: dead ? 'dead_letter' : 'ready', attempts, feedback, assignee: null, preferredAssignee: again }, { feedback });
    if (coder && coder.rec.currentTaskId === task.id) {
      if (TERMINAL_AGENT.includes(coder.rec.state)) h.saveAgentQuiet(coder, { currentTaskId: null });
      else h.setAgentState(coder, 'idle', null, { currentTaskId: null });
    }
    if (dead) {
      h.raise({
        type: 'dead_letter',
        level: 'human',
        teamId: team.rec.id,
        agentId: null,
        taskId: task.id,
        title: `Task "${task.title}" failed ${attempts} attempts`,
        detail: `Last feedback: ${feedback}. Approve to try again (attempts reset; a reply is passed on as guidance), deny to give it up.`,
        payload: { attempts },
      });
    }
  });
}
