import type { EscalationRecord } from '../ledger/mission-repository.js';
import type { RequestToolUseBlock } from '../llm/provider.js';
import { resolutionTools } from '../tools/agent-tools.js';
import { FILE_TOOLS, formatCommandOutcome, runFileTool } from '../tools/workspace-tools.js';
import { isCommandAllowed, runCommand } from '../workspace/commands.js';
import {
  commitResolution,
  conflictSides,
  filesWithMarkers,
  landResolution,
  openResolution,
  removeResolution,
  type ResolutionPlace,
} from '../workspace/conflict-branch.js';
import { createFileTools, type FileTools } from '../workspace/file-tools.js';
import { identityOf } from '../workspace/merges.js';
import { AGENT_EMAIL } from '../workspace/git.js';
import type { MissionHost } from './mission-host.js';
import { resolutionPrompt } from './conflict-prompt.js';
import { errorText, Halt, type AgentRt, type LoopEnd, type TeamRt, type ToolOutcome } from './runtime-types.js';
import type { AgentHost, AgentRuntimeDriver } from './runtimes/agent-runtime.js';
import { BuiltInDriver } from './runtimes/built-in.js';
import { ClaudeCodeDriver, claudeCodeSpecOf, runsOnClaudeCode } from './runtimes/claude-code.js';
import { teamTitle } from '../../shared/team-label.js';

/**
 * Conflicts go to a leader first. When a team's merge into the mission branch (or the
 * mission's into the base) conflicts, a leader gets a job to resolve it on a branch of its
 * own (`workspace/conflict-branch.ts`): the conflicting files, both sides, the tests. It
 * edits the files, runs the team's allowed commands and submits; Control Room checks that
 * no conflict marker is left and the test command passes, commits the merge there and
 * fast-forwards the mission branch, and integration goes on. Only when the leader gives up,
 * fails {@link MAX_RESOLUTION_ATTEMPTS} submissions, stalls or is gone does the conflict
 * reach the person, as the `merge_conflict` escalation it always was, with what was tried.
 *
 * While the leader works, the conflict is an open `merge_conflict` escalation at level
 * `leader` (not in the Inbox) whose payload holds the resolution: its branch, the leader,
 * each attempt. It is the ledger's record of the step, so a restart resumes the job in
 * the same worktree and transcript, and a resolution that landed before the restart is
 * settled by the merge that finds nothing left to merge (never merged twice).
 */

/** Refused submissions a leader may make before the conflict goes to the person. */
export const MAX_RESOLUTION_ATTEMPTS = 3;

export type ConflictStage = 'teams' | 'final';

/** A merge that conflicted: a team's into the mission branch, or the mission's into the base. */
export interface ConflictInput {
  stage: ConflictStage;
  /** The team being merged (stage `teams`); null for the final merge. */
  team: TeamRt | null;
  conflicts: string[];
  /** Teams merged before this one in this integration (stage `teams`). */
  mergedTeams: string[];
}

/** One submission the engine refused (or the one it took), as the person later reads it. */
export interface ResolutionAttempt {
  at: string;
  summary: string;
  /** Why it was refused; null for the accepted one. */
  problem: string | null;
  testOutput: string | null;
}

/** The `resolution` part of a leader-level `merge_conflict` escalation's payload. */
export interface ResolutionState {
  leaderId: string;
  leaderName: string;
  why: string;
  branch: string;
  worktree: string;
  /** The team branch merged in (stage `teams`) or the base branch (stage `final`). */
  other: string;
  /** The team the merge is about (stage `teams`), for finding the resolution again. */
  mergingTeam: string | null;
  merging: string;
  testCommand: string | null;
  attempts: ResolutionAttempt[];
}

export type ConflictOutcome =
  | { resolved: true; summary: string }
  /** `halted`: the mission paused or closed meanwhile; the resolution resumes with it. */
  | { resolved: false; halted: boolean };

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The resolution held by a `merge_conflict` escalation, if it is one. */
export function resolutionOf(esc: EscalationRecord): ResolutionState | null {
  const r = esc.payload.resolution;
  return r !== null && typeof r === 'object' ? (r as ResolutionState) : null;
}

/** The open resolution of this merge a leader is working on, if any. */
export function pendingResolution(h: Pick<MissionHost, 'escalations'>, stage: ConflictStage, teamId: string | null): EscalationRecord | undefined {
  for (const e of h.escalations.open.values()) {
    if (e.type !== 'merge_conflict' || e.level !== 'leader' || e.payload.stage !== stage) continue;
    if ((resolutionOf(e)?.mergingTeam ?? null) === teamId) return e;
  }
  return undefined;
}

/** Whether a leader already tried this merge and it went to the person: it goes straight there again. */
function triedBefore(h: MissionHost, stage: ConflictStage, teamId: string | null): EscalationRecord | undefined {
  return [...h.escalations.all.values()].find(
    (e) => e.type === 'merge_conflict' && e.level === 'human' && e.payload.stage === stage && resolutionOf(e) !== null && (resolutionOf(e)?.mergingTeam ?? null) === teamId,
  );
}

/** The rule reviews use for "the test command": the first allowed command that runs tests. */
export function testCommandOf(allowlist: readonly string[]): string | null {
  return allowlist.find((c) => /\btest\b/.test(c) && !c.endsWith('*')) ?? null;
}

/** A leader that can take a job: alive, or done with its team's work (it is woken for this). */
function usable(agent: AgentRt | undefined): agent is AgentRt {
  return agent !== undefined && agent.rec.state !== 'killed' && agent.rec.state !== 'failed' && agent.loop === null;
}

/**
 * Who resolves: a team's merge, its own leader; the final merge, the leader of the team
 * that delivered most of the conflicting files (it knows them best), ties and no owner
 * going to the first team in the design's order with a leader.
 */
export function chooseResolver(h: Pick<MissionHost, 'teams'>, input: Pick<ConflictInput, 'stage' | 'team' | 'conflicts'>): { team: TeamRt; leader: AgentRt; why: string } | null {
  if (input.stage === 'teams') {
    const team = input.team;
    if (!team || !usable(team.leader)) return null;
    return { team, leader: team.leader, why: `your team's branch is the one whose merge conflicts` };
  }
  const teams = [...h.teams.values()].filter((t) => usable(t.leader)).sort((a, b) => a.rec.sortOrder - b.rec.sortOrder);
  let best: { team: TeamRt; count: number } | null = null;
  for (const team of teams) {
    const files = new Set(team.rec.delivery?.files ?? []);
    const count = input.conflicts.filter((f) => files.has(f)).length;
    if (!best || count > best.count) best = { team, count };
  }
  const team = best?.team;
  if (!team?.leader) return null;
  const why = best && best.count > 0
    ? `your team delivered ${best.count} of the ${input.conflicts.length} conflicting files`
    : `no team's delivery lists the conflicting files, so the first team's leader takes it`;
  return { team, leader: team.leader, why };
}

/**
 * Hands a conflicting merge to a leader and waits for the outcome: resolved (the mission
 * branch now holds the merge), or not (it is with the person, or the mission stopped and
 * the job resumes with it). A pending resolution of the same merge is resumed, not redone.
 */
export async function resolveConflict(h: MissionHost, input: ConflictInput): Promise<ConflictOutcome> {
  const teamId = input.team?.rec.id ?? null;
  const pending = pendingResolution(h, input.stage, teamId);
  if (pending) return runResolution(h, pending, null);
  const earlier = triedBefore(h, input.stage, teamId);
  const pick = earlier ? null : chooseResolver(h, input);
  if (!pick) {
    raiseForPerson(h, input, earlier ? `${resolutionOf(earlier)?.leaderName ?? 'A leader'} already tried to resolve this merge.` : 'No leader is left to resolve it.');
    return { resolved: false, halted: false };
  }
  const ws = h.requireWorkspace();
  const teamBranch = input.team ? ws.teamBranch(input.team.rec.id) : null;
  const other = input.team ? ws.teamBranch(input.team.rec.id) : ws.baseBranch;
  const merging = input.team ? `merging ${teamTitle(input.team.rec.name)} into ${ws.missionBranch}` : `merging ${ws.baseBranch}, which moved on, into ${ws.missionBranch} before the final merge`;
  let opened: ResolutionPlace & { conflicts: string[] };
  try {
    opened = await openResolution(ws, teamBranch, other);
  } catch (error) {
    if (!h.ctx.store.open) return { resolved: false, halted: true };
    raiseForPerson(h, input, `Control Room could not prepare a branch for ${pick.leader.rec.name} to resolve it: ${errorText(error)}`);
    return { resolved: false, halted: false };
  }
  const conflicts = opened.conflicts.length > 0 ? opened.conflicts : input.conflicts;
  const testCommand = testCommandOf(h.teamAllowlist(pick.team));
  const testOutput = testCommand ? await runTests(h, testCommand, opened.worktree) : null;
  const sides = await conflictSides(opened.worktree, conflicts);
  if (!h.ctx.store.open) return { resolved: false, halted: true };
  const resolution: ResolutionState = {
    leaderId: pick.leader.rec.id,
    leaderName: pick.leader.rec.name,
    why: pick.why,
    branch: opened.branch,
    worktree: opened.worktree,
    other,
    mergingTeam: teamId,
    merging,
    testCommand,
    attempts: [],
  };
  const prompt = resolutionPrompt({
    mission: h.mission,
    merging,
    why: pick.why,
    branch: opened.branch,
    conflicts,
    ours: sides.ours,
    theirs: sides.theirs,
    allowedCommands: h.teamAllowlist(pick.team),
    testCommand,
    testOutput,
    maxAttempts: MAX_RESOLUTION_ATTEMPTS,
  });
  const esc = h.ctx.store.tx(() => {
    const raised = h.raise({
      type: 'merge_conflict',
      level: 'leader',
      teamId: pick.team.rec.id,
      agentId: null,
      taskId: null,
      title: input.team ? `${teamTitle(input.team.rec.name)} conflicts with the mission branch` : `The mission conflicts with ${ws.baseBranch}`,
      detail: `Conflicting files: ${conflicts.join(', ')}. ${pick.leader.rec.name} resolves it on ${opened.branch} (${pick.why}).`,
      payload: { stage: input.stage, conflicts, mergedTeams: input.mergedTeams, resolution },
    });
    note(h, pick.team.rec.id, { resolution: 'started', leader: pick.leader.rec.name, why: pick.why, branch: opened.branch, conflicts });
    h.appendMessage(pick.leader, h.openConversation(pick.leader, conversationKey(raised)), { role: 'user', content: prompt });
    return raised;
  });
  return runResolution(h, esc, pick.team);
}

function conversationKey(esc: EscalationRecord): string {
  return `resolve:${esc.id}`;
}

/** A note in the mission log about a team's resolution. */
function note(h: MissionHost, teamId: string, detail: Record<string, unknown>): void {
  h.ctx.store.log({ missionId: h.mission.id, at: h.now(), kind: 'note', subjectId: teamId, fromState: null, toState: null, detail });
}

async function runTests(h: MissionHost, command: string, cwd: string): Promise<string> {
  const outcome = await runCommand(command, { cwd, timeoutMs: h.ctx.options.commandTimeoutMs });
  return formatCommandOutcome(command, outcome);
}

/** What one resolution job shares between its tool calls. */
interface ResolutionJob {
  h: MissionHost;
  esc: EscalationRecord;
  team: TeamRt;
  leader: AgentRt;
  state: ResolutionState;
  files: FileTools | null;
  /** Set once the resolution landed on the mission branch. */
  landed: { summary: string } | null;
  /** Set once the conflict went to the person. */
  escalated: boolean;
}

/** Runs (or resumes) the leader's job on a pending resolution, to its outcome. */
async function runResolution(h: MissionHost, esc: EscalationRecord, teamHint: TeamRt | null): Promise<ConflictOutcome> {
  const state = resolutionOf(esc);
  const leader = state ? h.agents.get(state.leaderId) : undefined;
  const team = teamHint ?? (leader ? h.teams.get(leader.rec.teamId) : undefined);
  if (!state || !leader || !team || !usable(leader)) {
    escalate(h, esc, state, `${state?.leaderName ?? 'The leader'} is gone (${leader?.rec.state ?? 'not in the mission'}), so nobody can finish resolving it`);
    return { resolved: false, halted: false };
  }
  if (!h.ctx.store.open || h.mission.state !== 'integrating') return { resolved: false, halted: true };
  const job: ResolutionJob = { h, esc, team, leader, state, files: null, landed: null, escalated: false };
  const conv = h.openConversation(leader, conversationKey(esc));
  const restoreSpec = lendEditingTools(leader);
  const run = (async (): Promise<LoopEnd> => {
    h.setAgentState(leader, 'working', 'resolving a merge conflict');
    return driverFor(h, job).run({ kind: 'escalation', team, agent: leader, conv, tools: resolutionTools, taskId: null, handle: (use, input) => resolutionTool(job, use, input) });
  })();
  leader.loop = run.then(() => undefined, () => undefined);
  let end: LoopEnd | 'halted';
  try {
    end = await run;
  } catch (error) {
    if (!(error instanceof Halt)) {
      if (h.ctx.store.open) h.ctx.logError(`${leader.rec.name} resolving a conflict`, error);
      end = 'stalled';
      if (h.ctx.store.open && !job.landed && !job.escalated) escalate(h, current(job), state, `${leader.rec.name}'s job failed: ${errorText(error)}`);
    } else end = 'halted';
  } finally {
    restoreSpec();
    leader.loop = null;
  }
  if (!h.ctx.store.open) return { resolved: false, halted: true };
  if (job.landed) {
    h.setAgentState(leader, 'done', 'resolved the merge conflict');
    return { resolved: true, summary: job.landed.summary };
  }
  if (end === 'halted') {
    // Killed meanwhile: nobody is left to finish. Paused or closed: it resumes with the mission.
    if (leader.rec.state === 'killed' || leader.rec.state === 'failed') {
      escalate(h, current(job), state, `${leader.rec.name} was stopped (${leader.rec.stateReason ?? leader.rec.state}) before it finished`);
      return { resolved: false, halted: false };
    }
    h.setAgentState(leader, 'done', `resolving a merge conflict: mission ${h.mission.state}`);
    return { resolved: false, halted: true };
  }
  if (!job.escalated) {
    const why = end === 'blocked' ? `${leader.rec.name} was stopped by a budget` : `${leader.rec.name} made no progress`;
    escalate(h, current(job), state, why);
  }
  if (leader.rec.state !== 'killed' && leader.rec.state !== 'failed') h.setAgentState(leader, 'done', 'passed the merge conflict to the person');
  return { resolved: false, halted: false };
}

/** The escalation as it is now (its payload grows with each attempt). */
function current(job: ResolutionJob): EscalationRecord {
  return job.h.escalations.all.get(job.esc.id) ?? job.esc;
}

/**
 * A Claude Code leader reads only, by default; resolving a conflict is editing files, so
 * for this job its session gets the tools a coder's has (its policy still keeps it in the
 * resolution worktree and its team's commands). Answers how to undo it.
 */
function lendEditingTools(leader: AgentRt): () => void {
  if (!runsOnClaudeCode(leader) || !leader.spec) return () => undefined;
  const spec = leader.spec;
  const claudeCode = claudeCodeSpecOf(leader);
  const tools = [...new Set([...claudeCode.allowedTools, 'Edit', 'MultiEdit', 'Write', 'Bash'] as const)];
  leader.spec = { ...spec, claudeCode: { ...claudeCode, allowedTools: tools } };
  return () => {
    leader.spec = spec;
  };
}

/**
 * The runtime of the leader's job, over a host that puts it in the resolution worktree,
 * lets it write there, and keeps it going while the mission integrates (the scheduler's
 * jobs run only while it plans or runs). Built-in leaders run here even with a fleet: the
 * worktree is on this machine.
 */
function driverFor(h: MissionHost, job: ResolutionJob): AgentRuntimeDriver {
  const host: AgentHost = {
    ctx: h.ctx,
    get mission() {
      return h.mission;
    },
    now: () => h.now(),
    setAgentState: (a, s, reason, patch) => h.setAgentState(a, s, reason, patch),
    setStallCounter: (a, turns) => h.setStallCounter(a, turns),
    appendMessage: (a, conv, message, usage) => h.appendMessage(a, conv, message, usage),
    ensureRunnable: (a) => ensureRunnable(job, a),
    raise: (input) => h.raise(input),
    refreshUsage: (a) => h.refreshUsage(a),
    systemPrompt: (a, team) => h.systemPrompt(a, team),
    workdir: () => job.state.worktree,
    coderAllowlist: (team, a) => h.coderAllowlist(team, a),
    teamAllowlist: (team) => h.teamAllowlist(team),
    policyFor: (j, root) => ({ ...h.policyFor({ ...j, kind: 'escalation' }, root), mayWrite: true, ownership: null, writeScope: [] }),
    // Nobody answers a question mid-resolution: what the team may not run is refused at once.
    raisePermission: (team, a, taskId, use, ask) =>
      h.raise({
        type: 'permission',
        level: 'leader',
        teamId: team.rec.id,
        agentId: a.rec.id,
        taskId,
        title: `${a.rec.name} asks for ${ask.subject.slice(0, 200)} while resolving a conflict`,
        detail: ask.reason,
        payload: { command: ask.subject },
        toolUseId: use.id,
        resolveAs: { decision: 'deny', decidedBy: 'engine', comment: "only the team's allowed commands and the resolution worktree's files while resolving a conflict" },
      }),
    escalationForTool: (a, toolUseId) => h.escalationForTool(a, toolUseId),
    requireWorkspace: () => h.requireWorkspace(),
    deliverMessages: (a, conv) => h.deliverMessages?.(a, conv),
    withMessages: (a, conv, prompt) => h.withMessages?.(a, conv, prompt) ?? prompt,
  };
  if (!runsOnClaudeCode(job.leader)) return new BuiltInDriver(host);
  const env = h.ctx.claudeCode;
  if (!env) return { run: () => Promise.reject(new Error('Claude Code cannot run here: this engine was started without the Claude Code runtime')) };
  return new ClaudeCodeDriver(host, env);
}

/**
 * Throws `Halt` unless the resolution may go on: the ledger open, the leader alive, the
 * mission integrating (the hub's own check wants it planning or running) and the conflict
 * still undecided.
 */
function ensureRunnable(job: ResolutionJob, agent: AgentRt): void {
  const { h } = job;
  if (!h.ctx.store.open) throw new Halt('the ledger is closed');
  if (agent.rec.state === 'killed' || agent.rec.state === 'failed') throw new Halt(`agent ${agent.rec.state}`);
  if (h.mission.state !== 'integrating') throw new Halt(`mission ${h.mission.state}`);
  if (current(job).state !== 'open') throw new Halt('the conflict was decided');
}

/** One of the leader's tool calls (validated against `resolutionTools`). */
async function resolutionTool(job: ResolutionJob, use: RequestToolUseBlock, input: Record<string, unknown>): Promise<ToolOutcome> {
  const { h, state } = job;
  if (current(job).state !== 'open' || job.landed) return { content: 'This conflict is already settled.', end: true };
  if (FILE_TOOLS.has(use.name)) {
    // The conflicting files may be anywhere, so no write scope: the worktree bounds it.
    job.files ??= createFileTools(state.worktree);
    return (await runFileTool(job.files, use.name, input)) ?? { content: `unknown tool "${use.name}"`, isError: true };
  }
  switch (use.name) {
    case 'run_command': {
      const command = str(input.command).trim();
      const allowed = h.teamAllowlist(job.team);
      if (!isCommandAllowed(command, allowed)) {
        return { content: `\`${command.slice(0, 200)}\` is not one of the team's allowed commands (${allowed.join(', ') || 'none'}); only those run while resolving a conflict.`, isError: true };
      }
      h.setAgentState(job.leader, 'waiting_tool', `running ${command.slice(0, 80)}`);
      const outcome = await runCommand(command, { cwd: state.worktree, timeoutMs: h.ctx.options.commandTimeoutMs });
      h.setAgentState(job.leader, 'working', 'resolving a merge conflict');
      return { content: formatCommandOutcome(command, outcome), isError: outcome.exitCode !== 0 };
    }
    case 'submit_resolution':
      return submit(job, str(input.summary));
    case 'give_up_resolution':
      escalate(h, current(job), state, `${job.leader.rec.name} gave up: ${str(input.reason)}`);
      job.escalated = true;
      return { content: 'The conflict goes to the person, with your reason and what you tried.', progress: true, end: true };
    default:
      return { content: `unknown tool "${use.name}"`, isError: true };
  }
}

/**
 * `submit_resolution`: no conflict markers may be left in the conflicting files and the
 * test command (if any) must pass; then the merge is committed on the resolution branch
 * and the mission branch fast-forwards to it. A refusal is an attempt on the record.
 */
async function submit(job: ResolutionJob, summary: string): Promise<ToolOutcome> {
  const { h, state, leader } = job;
  const conflicts = (current(job).payload.conflicts as string[] | undefined) ?? [];
  h.setAgentState(leader, 'waiting_tool', 'checking the resolution');
  const left = await filesWithMarkers(state.worktree, conflicts);
  let problem = left.length > 0 ? `conflict markers are still in ${left.join(', ')}` : null;
  let testOutput: string | null = null;
  if (!problem && state.testCommand) {
    const outcome = await runCommand(state.testCommand, { cwd: state.worktree, timeoutMs: h.ctx.options.commandTimeoutMs });
    testOutput = formatCommandOutcome(state.testCommand, outcome);
    if (outcome.exitCode !== 0) problem = `\`${state.testCommand}\` failed`;
  }
  ensureRunnable(job, leader);
  if (problem) {
    const attempts = recordAttempt(job, { at: h.now(), summary, problem, testOutput });
    h.setAgentState(leader, 'working', 'resolving a merge conflict');
    const output = testOutput ? `\n\n${testOutput}` : '';
    if (attempts >= MAX_RESOLUTION_ATTEMPTS) {
      escalate(h, current(job), state, `${attempts} submissions were refused; the last: ${problem}`);
      job.escalated = true;
      return { content: `Not resolved: ${problem}.${output}\n\nThat was attempt ${attempts} of ${MAX_RESOLUTION_ATTEMPTS}; the conflict goes to the person.`, isError: true, end: true };
    }
    return { content: `Not resolved: ${problem}.${output}\n\nFix it and call submit_resolution again (attempt ${attempts} of ${MAX_RESOLUTION_ATTEMPTS}).`, isError: true, progress: true };
  }
  h.setAgentState(leader, 'waiting_tool', 'merging the resolution');
  const ws = h.requireWorkspace();
  const identity = identityOf(leader.rec.name, { name: leader.rec.name, email: AGENT_EMAIL });
  const message = `Merge ${state.mergingTeam ? teamTitle(h.teams.get(state.mergingTeam)?.rec.name ?? state.mergingTeam) : ws.baseBranch} into mission ${h.mission.name}\n\nConflict resolved by ${leader.rec.name}: ${summary}`;
  await commitResolution(state.worktree, message, identity);
  const commit = await landResolution(ws, { branch: state.branch, worktree: state.worktree });
  if (!h.ctx.store.open) throw new Halt('the ledger is closed');
  h.ctx.store.tx(() => {
    recordAttempt(job, { at: h.now(), summary, problem: null, testOutput });
    note(h, job.team.rec.id, { resolution: 'landed', leader: leader.rec.name, commit, summary });
  });
  job.landed = { summary };
  return { content: `Resolved: the merge is committed and ${ws.missionBranch} is at ${commit.slice(0, 12)}.`, progress: true, end: true };
}

/** Adds an attempt to the escalation's payload (and a log row); answers how many were refused. */
function recordAttempt(job: ResolutionJob, attempt: ResolutionAttempt): number {
  const { h } = job;
  const esc = current(job);
  const state = resolutionOf(esc) ?? job.state;
  const attempts = [...state.attempts, { ...attempt, testOutput: attempt.testOutput ? cut(attempt.testOutput, 4_000) : null }];
  const next: EscalationRecord = { ...esc, payload: { ...esc.payload, resolution: { ...state, attempts } } };
  h.ctx.store.tx(() => {
    h.ctx.store.saveEscalation(next);
    if (attempt.problem) note(h, job.team.rec.id, { resolution: 'refused', leader: job.leader.rec.name, attempt: attempts.length, problem: attempt.problem });
  });
  h.escalations.track(next);
  job.state = { ...state, attempts };
  return attempts.filter((a) => a.problem !== null).length;
}

/** Passes a pending resolution on to the person: the conflict, where the leader worked, and each attempt. */
function escalate(h: MissionHost, esc: EscalationRecord, state: ResolutionState | null, reason: string): void {
  if (!h.ctx.store.open || esc.state !== 'open' || esc.level !== 'leader') return;
  const conflicts = (esc.payload.conflicts as string[] | undefined) ?? [];
  const attempts = state?.attempts ?? [];
  const lastOutput = attempts.at(-1)?.testOutput ?? null;
  const lines = [
    `Conflicting files: ${conflicts.join(', ')}.`,
    ...(state ? [`${state.leaderName} tried to resolve it on ${state.branch} (worktree ${state.worktree}).`] : []),
    ...attempts.map((a, i) => `Attempt ${i + 1}: ${a.summary}${a.problem ? ` — refused: ${a.problem}` : ''}`),
    ...(lastOutput ? ['', `Last test output:\n${lastOutput}`] : []),
    '',
    esc.payload.stage === 'final'
      ? `Resolve it (the leader's branch may help) and approve to merge again; deny to fail the mission.`
      : `Resolve it on ${state ? 'the mission branch' : 'the mission branch or the team branch'} (the leader's branch may help) and approve to merge again; deny to fail the mission.`,
  ];
  const next: EscalationRecord = { ...esc, detail: lines.join('\n'), payload: { ...esc.payload, tried: reason } };
  h.escalations.escalateToHuman(next, reason, state?.leaderName ?? 'Control Room');
  note(h, esc.teamId ?? h.mission.id, { resolution: 'escalated', reason });
}

/** The conflict for the person straight away (no leader to take it, or one tried already), as before this cascade. */
export function raiseForPerson(h: MissionHost, input: ConflictInput, why: string): void {
  const ws = h.requireWorkspace();
  h.raise({
    type: 'merge_conflict',
    level: 'human',
    teamId: input.team?.rec.id ?? null,
    agentId: null,
    taskId: null,
    title: input.team ? `${teamTitle(input.team.rec.name)} conflicts with the mission branch` : `The mission conflicts with ${ws.baseBranch}`,
    detail: input.team
      ? `Conflicting files: ${input.conflicts.join(', ')}. ${why} Resolve the conflict on ${ws.missionBranch} (or the team branch) and approve to merge again; deny to fail the mission.`
      : `Conflicting files: ${input.conflicts.join(', ')}. ${why} Resolve them and approve to merge again; deny to fail the mission.`,
    payload: { stage: input.stage, conflicts: input.conflicts, ...(input.team ? { mergedTeams: input.mergedTeams } : {}) },
  });
}

/**
 * Once a merge went through: the pending resolution of it (if any) is decided by its
 * leader, with the summary it submitted (a resolution that landed before a restart is
 * settled here, by the merge that found nothing left to do), and its worktree goes.
 */
export async function settleResolution(h: MissionHost, stage: ConflictStage, teamId: string | null): Promise<void> {
  const esc = pendingResolution(h, stage, teamId);
  if (!esc) return;
  const state = resolutionOf(esc);
  const summary = [...(state?.attempts ?? [])].reverse().find((a) => a.problem === null)?.summary ?? 'merged';
  h.decisions.record(esc.id, { decision: 'approve', comment: summary, decidedBy: 'leader' });
  const ws = h.requireWorkspace();
  await removeResolution(ws, teamId === null ? null : ws.teamBranch(teamId)).catch((error: unknown) => {
    if (h.ctx.store.open) h.ctx.logError('removing a resolution worktree', error);
  });
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
