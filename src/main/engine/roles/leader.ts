import { randomUUID } from 'node:crypto';
import type { RequestToolUseBlock } from '../../llm/provider.js';
import type { MissionHost } from '../mission-host.js';
import type { EscalationRecord, TaskRecord, TeamRecord } from '../../ledger/mission-repository.js';
import { teamBrief } from '../../../shared/team.js';
import { activeTeams } from '../phase-runner.js';
import { phaseNumbers } from '../phases.js';
import { planPrompt, questionPrompt, stallPrompt, type PlanPromptInput, type TeamBriefInput } from '../prompts.js';
import { done, TERMINAL_TASK, type AgentRt, type TeamRt, type ToolOutcome } from '../runtime-types.js';
import { escalationTools, planningTools, writeRequestTools } from '../../tools/agent-tools.js';
import { isWriteRequest, newTaskOwnsProblem, planOwnsProblem, writeRequestPrompt } from './ownership.js';

/**
 * What a leader does beyond reviewing (`reviewer.ts`, which a leader runs while its team
 * has no live reviewer): planning its team's tasks, and answering the escalations its
 * coders raise (researchers answer questions through the same job).
 */

/** A leader's planning job: it creates its team's tasks, then submits the plan; the last team's submission asks for approval. */
export async function runPlan(h: MissionHost, team: TeamRt, agent: AgentRt): Promise<void> {
  const round = h.mission.planRound;
  if (team.rec.planState === 'pending') saveTeam(h, team, { planState: 'planning' });
  const conv = h.openConversation(agent, `plan:r${round}`);
  if (conv.messages.length === 0) {
    const feedback = [...h.escalations.all.values()]
      .filter((e) => e.type === 'plan_approval' && e.state === 'resolved' && e.comment)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .at(-1)?.comment ?? null;
    h.appendMessage(agent, conv, {
      role: 'user',
      content: planPrompt({
        mission: h.mission,
        teamName: team.rec.name,
        coderNames: team.coders.map((c) => c.rec.name),
        otherTeams: [...h.teams.values()].filter((t) => t !== team).map((t) => t.rec.name),
        allowedCommands: h.teamAllowlist(team),
        feedback,
        ...teamBriefs(h, team),
      }),
    });
  }
  h.setAgentState(agent, 'working');
  const end = await h.driverFor(agent).run({
    kind: 'plan',
    team,
    agent,
    conv,
    tools: planningTools,
    taskId: null,
    handle: (use, input) => planTool(h, team, input, use),
  });
  if (end === 'stalled') raiseLeaderStall(h, team, agent, 'planning');
  if (end === 'ended') afterPlanSubmitted(h);
}

/** `create_task` and `submit_plan`: the plan is checked before it is submitted. */
function planTool(h: MissionHost, team: TeamRt, input: Record<string, unknown>, use: RequestToolUseBlock): Promise<ToolOutcome> {
  const round = h.mission.planRound;
  const tasks = h.teamTasks(team);
  if (use.name === 'create_task') {
    const key = String(input.key);
    if (team.rec.planState === 'submitted') return done({ content: 'The plan is already submitted.', end: true });
    if (tasks.some((t) => t.key === key)) return done({ content: `a task with key "${key}" already exists; choose another key`, isError: true });
    let preferred: string | null = null;
    if (typeof input.assignee === 'string' && input.assignee.trim() !== '') {
      const wanted = input.assignee.trim().toLowerCase();
      const coder = team.coders.find((c) => c.rec.id.toLowerCase() === wanted || c.rec.name.toLowerCase() === wanted);
      if (!coder) {
        return done({
          content: `unknown assignee "${input.assignee}"; the team's coders are: ${team.coders.map((c) => c.rec.name).join(', ')}`,
          isError: true,
        });
      }
      preferred = coder.rec.id;
    }
    const ownsProblem = newTaskOwnsProblem(h, team, { key, owns: input.owns as string[] });
    if (ownsProblem) return done({ content: ownsProblem, isError: true });
    const at = h.now();
    const task: TaskRecord = {
      id: `t-${randomUUID()}`,
      missionId: h.mission.id,
      teamId: team.rec.id,
      planRound: round,
      key,
      title: String(input.title),
      description: String(input.description),
      acceptanceCriteria: input.acceptance_criteria as string[],
      owns: input.owns as string[],
      dependsOn: input.depends_on as string[],
      preferredAssignee: preferred,
      state: 'planned',
      assignee: null,
      attempts: 0,
      claims: 0,
      stalls: 0,
      feedback: null,
      submissionSummary: null,
      mergedCommit: null,
      sortOrder: tasks.length,
      createdAt: at,
      updatedAt: at,
    };
    h.addTask(task);
    return done({ content: `Task "${key}" created (${tasks.length + 1} in the plan so far).`, progress: true });
  }
  // submit_plan
  if (team.rec.planState === 'submitted') return done({ content: 'The plan is already submitted.', end: true });
  const problem = planProblem(tasks) ?? planOwnsProblem(h, team);
  if (problem) return done({ content: problem, isError: true });
  saveTeam(h, team, { planState: 'submitted', planSummary: String(input.summary) });
  return done({ content: `Plan submitted with ${tasks.length} tasks.`, progress: true, end: true });
}

/** Saves a team's row (and a note when its plan state changed). */
function saveTeam(h: MissionHost, team: TeamRt, patch: Partial<TeamRecord>): void {
  const next = { ...team.rec, ...patch };
  const at = h.now();
  h.ctx.store.tx(() => {
    h.ctx.store.saveTeam(next);
    if (patch.planState && patch.planState !== team.rec.planState) {
      h.ctx.store.log({
        missionId: h.mission.id,
        at,
        kind: 'note',
        subjectId: team.rec.id,
        fromState: team.rec.planState,
        toState: patch.planState,
        detail: { plan: true },
      });
    }
  });
  team.rec = next;
  h.emitTeam(next);
}

/** What a leader plans from: its team's brief and share, the other teams' briefs and what merged teams delivered. */
function teamBriefs(h: MissionHost, team: TeamRt): Pick<PlanPromptInput, 'brief' | 'others'> {
  const records = [...h.teams.values()].map((t) => t.rec);
  const phases = phaseNumbers(records);
  const specOf = (id: string) => h.mission.design.teams.find((t) => t.id === id) ?? {};
  const briefOf = (t: TeamRt): TeamBriefInput => ({
    name: t.rec.name,
    phase: phases.get(t.rec.id) ?? 1,
    after: t.rec.after.map((id) => h.teams.get(id)?.rec.name ?? id),
    ...teamBrief(specOf(t.rec.id)),
    share: t.rec.share,
  });
  return {
    brief: briefOf(team),
    others: [...h.teams.values()]
      .filter((t) => t !== team)
      .map((t) => ({ ...briefOf(t), delivery: t.rec.phaseState === 'merged' ? t.rec.delivery : null })),
  };
}

/**
 * Once every active team submitted its plan: start, or ask the person to approve it. The
 * hub's liveness check calls it too, for a plan submitted just before a restart.
 */
export function afterPlanSubmitted(h: MissionHost): void {
  if (h.mission.state !== 'planning') return;
  const planning = activeTeams(h);
  for (const team of planning) if (team.rec.planState !== 'submitted') return;
  if (h.mission.skipPlanApproval) {
    h.startRunning('plan approval skipped by the mission settings');
    return;
  }
  const counts = planning.map((t) => `${t.rec.name}: ${h.teamTasks(t).length} tasks`);
  h.ctx.store.tx(() => {
    h.setMissionState('awaiting_plan_approval');
    h.raise({
      type: 'plan_approval',
      level: 'human',
      teamId: null,
      agentId: null,
      taskId: null,
      title: `Approve the plan for "${h.mission.name}"?`,
      detail: `${counts.join('; ')}. Approve to start the coders, reply with a comment to have the leaders plan again, deny to cancel the mission.`,
      payload: { round: h.mission.planRound, teams: planning.map((t) => t.rec.id) },
    });
  });
}

/** The person sent the plan back with a comment (`escalations/decisions.ts`): cancel this round's tasks and plan a new round. */
export function replan(h: MissionHost, comment: string): void {
  h.ctx.store.tx(() => {
    for (const t of h.tasks.values()) {
      if (t.planRound === h.mission.planRound && !TERMINAL_TASK.includes(t.state)) {
        h.saveTask(t, { state: 'cancelled' }, { reason: 'the plan was sent back' });
      }
    }
    // Only the teams planning now plan again: merged teams are done, waiting ones have not planned.
    for (const team of activeTeams(h)) saveTeam(h, team, { planState: 'pending', planSummary: null });
    h.setMissionState('planning', { reason: 'the plan was sent back', comment }, { planRound: h.mission.planRound + 1 });
  });
  h.kickAll();
}

/**
 * An escalation job: a question or a stall a coder raised, answered (`answer_coder`) or
 * passed on to the person (`escalate_to_human`). Leaders run it for every kind; a team's
 * researchers run it for questions (`scheduling.ts` decides who takes which), so
 * researchers have no code path of their own.
 */
export async function runLeaderEscalation(h: MissionHost, team: TeamRt, lead: AgentRt, esc: EscalationRecord): Promise<void> {
  const conv = h.openConversation(lead, `esc:${esc.id}`);
  const coder = esc.agentId ? h.agents.get(esc.agentId) : undefined;
  const task = esc.taskId ? h.tasks.get(esc.taskId) : undefined;
  const writeRequest = isWriteRequest(esc);
  if (conv.messages.length === 0) {
    const prompt = writeRequest
      ? writeRequestPrompt(esc, coder?.rec.name ?? '?', task)
      : esc.type === 'stall'
        ? stallPrompt(esc, coder?.rec.name ?? '?', task)
        : questionPrompt(esc, coder?.rec.name ?? '?', task);
    h.appendMessage(lead, conv, { role: 'user', content: prompt });
  }
  h.setAgentState(lead, 'working');
  const handle = async (use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome> => {
    const current = h.escalations.all.get(esc.id);
    if (!current || current.state !== 'open' || current.level !== 'leader') return { content: 'Already handled.', end: true };
    if (use.name === 'answer_coder') {
      await h.decisions.apply(h.decisions.record(esc.id, { decision: 'reply', comment: String(input.answer), decidedBy: 'leader' }));
      return { content: 'Your answer was passed on.', progress: true, end: true };
    }
    // A write outside the coder's task's paths: the leader's allow or refusal is the decision the coder waits for.
    if (use.name === 'allow_write' || use.name === 'refuse_write') {
      const decision = use.name === 'allow_write' ? 'approve' : 'deny';
      const comment = String(use.name === 'allow_write' ? input.comment : input.reason);
      await h.decisions.apply(h.decisions.record(esc.id, { decision, comment, decidedBy: 'leader' }));
      return { content: decision === 'approve' ? 'The write is allowed.' : 'The write is refused; your reason was passed on.', progress: true, end: true };
    }
    h.escalations.escalateToHuman(current, String(input.reason), lead.rec.name);
    return { content: 'Passed to the person.', progress: true, end: true };
  };
  const tools = writeRequest ? writeRequestTools : escalationTools;
  const end = await h.driverFor(lead).run({ kind: 'escalation', team, agent: lead, conv, tools, taskId: esc.taskId, handle });
  if (end === 'stalled') {
    const current = h.escalations.all.get(esc.id);
    if (current?.state === 'open') h.escalations.escalateToHuman(current, `${lead.rec.name} could not decide`, lead.rec.name);
  }
}

/** A leader (or reviewer) that stopped making progress: the person decides whether it continues. */
export function raiseLeaderStall(h: MissionHost, team: TeamRt, agent: AgentRt, doing: string): void {
  h.raise({
    type: 'stall',
    level: 'human',
    teamId: team.rec.id,
    agentId: agent.rec.id,
    taskId: null,
    title: `${agent.rec.name} made no progress ${doing}`,
    detail: 'Approve to let it continue; deny to pause the mission.',
    payload: { leader: true },
  });
}


/** Checks a team's plan before it is submitted: dependencies exist and form no cycle. */
export function planProblem(tasks: readonly TaskRecord[]): string | null {
  if (tasks.length === 0) return 'the plan has no tasks; create at least one with create_task';
  const keys = new Set(tasks.map((t) => t.key));
  for (const t of tasks) {
    const missing = t.dependsOn.filter((k) => !keys.has(k));
    if (missing.length > 0) return `task "${t.key}" depends on unknown task(s) ${missing.map((k) => `"${k}"`).join(', ')}`;
    if (t.dependsOn.includes(t.key)) return `task "${t.key}" depends on itself`;
  }
  const byKey = new Map(tasks.map((t) => [t.key, t]));
  const state = new Map<string, 1 | 2>();
  const visit = (key: string, path: string[]): string | null => {
    if (state.get(key) === 2) return null;
    if (state.get(key) === 1) return `the dependencies form a cycle: ${[...path, key].join(' -> ')}`;
    state.set(key, 1);
    for (const dep of byKey.get(key)?.dependsOn ?? []) {
      const found = visit(dep, [...path, key]);
      if (found) return found;
    }
    state.set(key, 2);
    return null;
  };
  for (const t of tasks) {
    const found = visit(t.key, []);
    if (found) return found;
  }
  return null;
}
