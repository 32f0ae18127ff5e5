import { z } from 'zod';
import type { MissionState } from '../../shared/mission.js';
import { findModel } from '../../shared/models.js';
import { AppError } from '../../shared/result.js';
import { TEAM_WEIGHT_MAX, TEAM_WEIGHT_MIN, priorityLabel, type SteeringMessageView } from '../../shared/steering.js';
import type { AgentSpec, TeamDesign } from '../../shared/team.js';
import { scopedId } from '../ledger/budgets.js';
import type { AgentRecord, TeamRecord } from '../ledger/mission-repository.js';
import { SteeringRepository } from '../ledger/steering-repository.js';
import type { ToolSet } from '../tools/agent-tools.js';
import { git } from '../workspace/git.js';
import type { MissionWorkspace } from '../workspace/mission-workspace.js';
import type { Conversation } from './conversation.js';
import type { MissionHost } from './mission-host.js';
import { runsOnClaudeCode } from './runtimes/claude-code.js';
import { TERMINAL_AGENT, TERMINAL_TASK, type AgentRt, type EngineContext, type TeamRt, type TeamWeightSink } from './runtime-types.js';
import type { StateWrites } from './state-writes.js';
import { teamTitle, teamTitlePossessive } from '../../shared/team-label.js';

/**
 * Steering a running mission: what the person changes while its teams work. A message to
 * a leader (added to its conversation at its next turn; a leader with no job gets one to
 * read it), a team's priority (its weight in the shared rate limiter's fair share), a
 * coder added to a team or an idle one removed (its worktree created or cleaned up), and
 * one team paused or resumed. Each is written to the ledger (the row it changes and a
 * `mission_log` note) before it is acted on, so a restarted engine finds it as it was:
 * undelivered messages are delivered, weights re-applied, added coders there, paused
 * teams still paused.
 */

export type { TeamWeightSink } from './runtime-types.js';

/** The tools of a leader's job that reads the person's message: it says what it will do. */
export const messageTools: ToolSet = {
  reply_to_person: z.object({ reply: z.string().trim().min(1).max(4_000) }),
};

/** Missions whose teams may be steered: started and not finished. */
const STEERABLE: readonly MissionState[] = ['planning', 'awaiting_plan_approval', 'running', 'paused', 'integrating'];
/** Coders may join or leave only before the final merges start. */
const STAFFABLE: readonly MissionState[] = ['planning', 'awaiting_plan_approval', 'running', 'paused'];

const quote = (text: string, max = 80): string => `“${text.length > max ? `${text.slice(0, max - 1)}…` : text}”`;

/** What steering reads and changes of a loaded mission (the hub, `mission-runtime.ts`, gives it). */
export interface SteeringHost {
  readonly ctx: EngineContext;
  readonly teams: ReadonlyMap<string, TeamRt>;
  readonly agents: Map<string, AgentRt>;
  readonly writes: StateWrites;
  /** The escalation an agent waits on, if any. */
  blocker(agentId: string): unknown;
  workspace(): MissionWorkspace | null;
  setWorkspace(workspace: MissionWorkspace): void;
  /** Starts the jobs that can run now in one team (nothing while the mission or the team is paused). */
  kick(team: TeamRt): void;
  appendMessage: MissionHost['appendMessage'];
  teamTasks: MissionHost['teamTasks'];
}

/** Re-applies the saved weights of every unfinished mission's teams to a fresh limiter (engine start). */
export function applySavedWeights(repo: SteeringRepository, sink: TeamWeightSink | undefined): void {
  if (!sink) return;
  for (const w of repo.activeWeights()) sink.setTeamWeight(scopedId(w.missionId, w.teamId), w.weight);
}

/** The person's words as the leader reads them. */
export function messageContent(messages: readonly SteeringMessageView[]): string {
  return messages.map((m) => `Message from the person: ${m.text}`).join('\n\n');
}

/** One loaded mission's steering. */
export class Steering {
  private readonly repo: SteeringRepository;
  /** Messages not delivered yet, by leader id: checked on every turn, so kept in memory. */
  private readonly pending = new Map<string, SteeringMessageView[]>();
  /** Adding and removing coders touch git and the design: one at a time. */
  private staffing: Promise<unknown> = Promise.resolve();

  constructor(private readonly h: SteeringHost) {
    this.repo = new SteeringRepository(h.ctx.store.db);
    for (const m of this.repo.undelivered(this.missionId)) this.queue(m);
  }

  private get missionId(): string {
    return this.h.writes.mission.id;
  }

  // ------------------------------------------------------------------ messages

  /** Records a message for a team's leader; it reaches the leader at its next turn. */
  message(teamId: string, text: string): SteeringMessageView {
    const team = this.team(teamId);
    this.mustBe(STEERABLE, 'take a message');
    const leader = team.leader;
    if (!leader || TERMINAL_AGENT.includes(leader.rec.state)) {
      throw new AppError('conflict', `${teamTitle(team.rec.name)} has no live leader to read the message${leader ? ` (${leader.rec.name} is ${leader.rec.state})` : ''}`);
    }
    const at = this.h.writes.now();
    const { store } = this.h.ctx;
    const message = store.tx(() => {
      const added = this.repo.add({ missionId: this.missionId, teamId, agentId: leader.rec.id, text, createdAt: at });
      this.note(leader.rec.id, { steering: 'message', messageId: added.id, text: text.slice(0, 500), reason: 'sent by the person' });
      return added;
    });
    this.queue(message);
    this.h.kick(team);
    return message;
  }

  /** Every message of the mission, oldest first, with whether it was delivered. */
  messages(): SteeringMessageView[] {
    return this.repo.list(this.missionId);
  }

  /** Whether the person has said something this agent has not read yet. */
  hasPending(agent: AgentRt): boolean {
    return (this.pending.get(agent.rec.id)?.length ?? 0) > 0;
  }

  /**
   * Adds the agent's undelivered messages to `conv` as one user message (transcript
   * row, delivery marks and a log row in one transaction). Called just before a turn, so
   * the next request carries them. Returns what it added, or null when nothing waited.
   */
  deliver(agent: AgentRt, conv: Conversation, preamble?: string): string | null {
    const waiting = this.pending.get(agent.rec.id);
    if (!waiting || waiting.length === 0 || !this.h.ctx.store.open) return null;
    const content = messageContent(waiting);
    const at = this.h.writes.now();
    this.h.ctx.store.tx(() => {
      this.h.appendMessage(agent, conv, { role: 'user', content: preamble ? `${preamble}\n\n${content}` : content });
      for (const m of waiting) this.repo.markDelivered(m.id, at, conv.key);
      this.note(agent.rec.id, { steering: 'delivered', messageIds: waiting.map((m) => m.id), conversation: conv.key });
    });
    this.pending.delete(agent.rec.id);
    return content;
  }

  /**
   * A Claude Code session hears the person at its next prompt (a new job, a resume, a
   * nudge): the prompt with the undelivered messages after it, which are then delivered.
   */
  withMessages(agent: AgentRt, conv: Conversation, prompt: string): string {
    const content = this.deliver(agent, conv);
    return content ? `${prompt}\n\n${content}` : prompt;
  }

  /**
   * A leader that had nothing to do when the person wrote: a job of its own that reads the
   * message and says what it will do (`reply_to_person`, recorded in the mission log).
   * Whatever it does next (reviews, answers, planning) it does with the message in mind.
   */
  async runMessageJob(h: MissionHost, team: TeamRt, agent: AgentRt): Promise<void> {
    const first = this.pending.get(agent.rec.id)?.[0];
    if (!first) return;
    const conv = h.openConversation(agent, `steer:${first.id}`);
    const m = h.mission;
    // One first message (the only one a Claude Code session is started with): the job, then the words.
    const preamble = [
      `You lead ${teamTitle(team.rec.name)} in the mission "${m.name}".`,
      `Goal: ${m.goal}`,
      '',
      'The person supervising the mission has written to you (below). Take it into account in your',
      'team\'s work from now on (plans, reviews, answers to your coders), then call reply_to_person',
      'once with a short reply: what you understood and what you will do.',
    ].join('\n');
    this.deliver(agent, conv, conv.messages.length === 0 ? preamble : undefined);
    h.setAgentState(agent, 'working');
    await h.driverFor(agent).run({
      kind: 'message',
      team,
      agent,
      conv,
      tools: messageTools,
      taskId: null,
      handle: (_use, input) => {
        this.note(agent.rec.id, { steering: 'reply', reply: String(input.reply).slice(0, 4_000) });
        return Promise.resolve({ content: 'Your reply was passed on to the person.', progress: true, end: true });
      },
    });
  }

  // ------------------------------------------------------------------ priority and pause

  /** Sets a team's weight in the limiter's fair share (shared by every mission's teams). */
  setPriority(teamId: string, weight: number): TeamRecord {
    const team = this.team(teamId);
    this.mustBe(STEERABLE, 'change a team\'s priority');
    if (!(Number.isFinite(weight) && weight >= TEAM_WEIGHT_MIN && weight <= TEAM_WEIGHT_MAX)) {
      throw new AppError('invalid_request', `a team's priority must be between ${TEAM_WEIGHT_MIN} and ${TEAM_WEIGHT_MAX}, got ${weight}`);
    }
    const from = team.rec.priorityWeight;
    this.saveTeam(team, { priorityWeight: weight }, {
      steering: 'priority',
      from,
      weight,
      label: priorityLabel(weight),
      reason: 'set by the person',
    });
    this.h.ctx.teamWeights?.setTeamWeight(scopedId(this.missionId, teamId), weight);
    return team.rec;
  }

  /**
   * Pauses one team: its agents take no new job and stop at their next step (a call in
   * flight finishes; a Claude Code session is interrupted and resumed later, as a
   * mission's pause does). The other teams go on.
   */
  pauseTeam(teamId: string): TeamRecord {
    const team = this.team(teamId);
    this.mustBe(STEERABLE, 'pause a team');
    if (team.rec.paused) throw new AppError('conflict', `${teamTitle(team.rec.name)} is already paused`);
    this.saveTeam(team, { paused: true }, { steering: 'pause', reason: 'team paused by the person' });
    for (const a of team.all) if (runsOnClaudeCode(a)) a.abort?.abort();
    return team.rec;
  }

  /** Resumes a paused team: its agents pick up where they stopped. */
  resumeTeam(teamId: string): TeamRecord {
    const team = this.team(teamId);
    this.mustBe(STEERABLE, 'resume a team');
    if (!team.rec.paused) throw new AppError('conflict', `${teamTitle(team.rec.name)} is not paused`);
    this.saveTeam(team, { paused: false }, { steering: 'resume', reason: 'team resumed by the person' });
    this.h.kick(team);
    return team.rec;
  }

  // ------------------------------------------------------------------ coders

  /**
   * Adds a coder to a team: its branch (from the team branch) and worktree first, then its
   * ledger row and the mission's design snapshot (which a reopened workspace reads), then
   * it may claim a ready task. It is a copy of the team's first coder (runtime,
   * permissions, prompt) with its own id, name and model.
   */
  addCoder(
    teamId: string,
    options: { name?: string | undefined; model?: string | undefined },
    open: (design: TeamDesign) => Promise<MissionWorkspace>,
  ): Promise<AgentRt> {
    return this.serially(async () => {
      const team = this.team(teamId);
      this.mustBe(STAFFABLE, 'take a new coder');
      const mission = this.h.writes.mission;
      const designTeam = mission.design.teams.find((t) => t.id === teamId);
      const template = designTeam?.agents.find((a) => a.role === 'coder') ?? team.coders.find((c) => c.spec)?.spec;
      if (!designTeam || !template) throw new AppError('conflict', `${teamTitle(team.rec.name)} has no coder to model a new one on`);
      const taken = new Set([...this.h.agents.keys(), ...mission.design.teams.flatMap((t) => t.agents.map((a) => a.id))]);
      let n = team.coders.length + 1;
      while (taken.has(`${teamId}-c${n}`)) n += 1;
      const id = `${teamId}-c${n}`;
      const name = options.name?.trim() || `${team.rec.name} coder ${n}`;
      const clash = team.all.find((a) => a.rec.name.toLowerCase() === name.toLowerCase());
      if (clash) throw new AppError('conflict', `${teamTitle(team.rec.name)} already has an agent named ${quote(name)}`);
      const model = options.model ?? template.model;
      if (!findModel(model)) throw new AppError('invalid_request', `unknown model ${quote(model)}`);
      const spec: AgentSpec = { ...template, id, name, model };
      const design: TeamDesign = {
        ...mission.design,
        teams: mission.design.teams.map((t) => (t.id === teamId ? { ...t, agents: [...t.agents, spec] } : t)),
      };
      // Git first: a failure leaves nothing in the ledger, and a crash after it only a branch
      // and a worktree that a second try with the same id picks up.
      const workspace = await open(design);
      this.mustBe(STAFFABLE, 'take a new coder');
      const at = this.h.writes.now();
      const rec: AgentRecord = {
        missionId: mission.id,
        id,
        teamId,
        name,
        role: 'coder',
        model,
        budgetNano: spec.budgetNanoUsd,
        state: 'idle',
        stateReason: 'added by the person',
        currentTaskId: null,
        turnsWithoutProgress: 0,
        lastActivityAt: at,
        sortOrder: team.all.length,
      };
      const { store } = this.h.ctx;
      store.tx(() => {
        this.h.writes.saveMissionQuiet({ design });
        store.saveAgent(rec);
        store.log({ missionId: mission.id, at, kind: 'agent', subjectId: id, fromState: null, toState: 'idle', detail: { reason: 'added by the person', model } });
      });
      const agent: AgentRt = { rec, spec, loop: null, abort: null, conv: null, files: null, usage: { input: 0, output: 0, cost: 0 }, lastActivityMs: this.h.ctx.clock.now() };
      this.h.agents.set(id, agent);
      team.all.push(agent);
      team.coders.push(agent);
      this.h.setWorkspace(workspace);
      this.h.ctx.budgets?.setCap('agent', scopedId(mission.id, id), rec.budgetNano);
      this.h.writes.emitAgent(agent);
      this.h.kick(team);
      return agent;
    });
  }

  /**
   * Removes an idle coder from its team: its row says so (`done`, removed by the person),
   * it leaves the design snapshot (a reopened workspace does not recreate it) and its
   * worktree is removed; its branch stays, like every mission branch. A coder that holds
   * a task, is in a job or waits on an escalation is refused, and so is a team's last coder
   * while the team has work left.
   */
  removeCoder(agentId: string, workspace: () => Promise<MissionWorkspace>): Promise<AgentRt> {
    return this.serially(async () => {
      const agent = this.h.agents.get(agentId);
      const mission = this.h.writes.mission;
      if (!agent) throw new AppError('not_found', `no agent "${agentId}" in mission "${mission.name}"`);
      const who = agent.rec.name;
      if (agent.rec.role !== 'coder') throw new AppError('invalid_request', `${who} is the team's ${agent.rec.role}; only coders can be removed`);
      this.mustBe(STAFFABLE, 'let a coder go');
      if (TERMINAL_AGENT.includes(agent.rec.state)) throw new AppError('conflict', `${who} is already ${agent.rec.state}`);
      const team = this.team(agent.rec.teamId);
      const task = agent.rec.currentTaskId ? this.h.teamTasks(team).find((t) => t.id === agent.rec.currentTaskId) : undefined;
      if (task && !TERMINAL_TASK.includes(task.state)) {
        throw new AppError('conflict', `${who} holds the task ${quote(task.title)} (${task.state.replace(/_/g, ' ')}); remove it once that task is merged, or kill it to hand the task back`);
      }
      if (agent.loop || agent.rec.state !== 'idle') throw new AppError('conflict', `${who} is ${agent.rec.state.replace(/_/g, ' ')}; only an idle coder can be removed`);
      if (this.h.blocker(agentId)) throw new AppError('conflict', `${who} is waiting on an escalation; answer it first`);
      const others = team.coders.filter((c) => c !== agent && !TERMINAL_AGENT.includes(c.rec.state));
      const unfinished = this.h.teamTasks(team).some((t) => !TERMINAL_TASK.includes(t.state));
      if (others.length === 0 && (unfinished || mission.state === 'planning' || mission.state === 'awaiting_plan_approval')) {
        throw new AppError('conflict', `${who} is ${teamTitlePossessive(team.rec.name)} last coder and the team has work left; add another coder first`);
      }
      const ws = await workspace();
      const worktree = ws.coderWorktree(agentId);
      const design: TeamDesign = {
        ...mission.design,
        teams: mission.design.teams.map((t) => (t.id === team.rec.id ? { ...t, agents: t.agents.filter((a) => a.id !== agentId) } : t)),
      };
      // Checked again after the await: the coder may have claimed a task meanwhile.
      if (agent.loop || agent.rec.state !== 'idle' || agent.rec.currentTaskId) throw new AppError('conflict', `${who} has just started work; try again when it is idle`);
      this.h.ctx.store.tx(() => {
        this.h.writes.saveMissionQuiet({ design });
        this.h.writes.setAgentState(agent, 'done', 'removed from the team by the person', { currentTaskId: null });
      });
      await git(['worktree', 'remove', '--force', worktree], { cwd: ws.repoPath, internal: true });
      return agent;
    });
  }

  // ------------------------------------------------------------------ helpers

  private queue(m: SteeringMessageView): void {
    const list = this.pending.get(m.agentId);
    if (list) list.push(m);
    else this.pending.set(m.agentId, [m]);
  }

  private team(teamId: string): TeamRt {
    const team = this.h.teams.get(teamId);
    if (!team) throw new AppError('not_found', `no team "${teamId}" in mission "${this.h.writes.mission.name}"`);
    return team;
  }

  private mustBe(states: readonly MissionState[], what: string): void {
    const { name, state } = this.h.writes.mission;
    if (!states.includes(state)) throw new AppError('conflict', `mission "${name}" is ${state.replace(/_/g, ' ')}; it cannot ${what} now`);
  }

  private saveTeam(team: TeamRt, patch: Partial<TeamRecord>, detail: Record<string, unknown>): void {
    const next = { ...team.rec, ...patch };
    const { store } = this.h.ctx;
    store.tx(() => {
      store.saveTeam(next);
      this.note(team.rec.id, detail);
    });
    team.rec = next;
    this.h.writes.emitTeam(next);
    this.h.writes.emitMission();
  }

  private note(subjectId: string, detail: Record<string, unknown>): void {
    this.h.ctx.store.log({ missionId: this.missionId, at: this.h.writes.now(), kind: 'note', subjectId, fromState: null, toState: null, detail });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.staffing.then(fn, fn);
    this.staffing = run.catch(() => undefined);
    return run;
  }
}
