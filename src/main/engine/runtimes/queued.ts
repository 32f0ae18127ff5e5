import { createHash } from 'node:crypto';
import { isDeadLettered, type ModelReply, type RemoteTurns, type TurnResult, type TurnWorkspace } from '../../tools/remote-turn.js';
import { Halt, type LoopEnd } from '../runtime-types.js';
import { FILE_TOOLS } from '../../tools/workspace-tools.js';
import type { AgentHost, AgentJob } from './agent-runtime.js';
import { BuiltInDriver } from './built-in.js';

/**
 * The built-in runtime with its turns on the fleet (BullMQ on Redis): each turn is a job
 * that a worker on any machine takes. The worker asks for the model's reply through the
 * control room (`answerModel`: the same gateway call, limiter, budgets and ledger row as an
 * in-process turn, stored with its reply), runs the reply's file tools and allowlisted
 * commands in its own clone, and pushes the coder's work; this driver then carries out the
 * Control Room tools (submit, ask, plan, review) and stores the results as one message,
 * exactly as the in-process loop does. So a mission reads the same in the ledger either way.
 */

export interface QueuedDriverOptions {
  /** Where workers clone the mission's repository from and push to; default its path here. */
  repoUrl?: string | undefined;
}

const AFTER_CONTROL_TOOL =
  'Not run: it came after a Control Room tool in the same turn, so it was left out. Call it again if you still need it.';

export class QueuedDriver extends BuiltInDriver {
  constructor(
    host: AgentHost,
    private readonly fleet: RemoteTurns,
    private readonly options: QueuedDriverOptions = {},
  ) {
    super(host);
  }

  override async run(job: AgentJob): Promise<LoopEnd> {
    const { agent, conv, handle } = job;
    const h = this.host;
    const { maxTurnsPerJob } = h.mission.settings;
    const workspace = job.kind === 'task' ? await this.workspaceOf(job) : null;
    h.ensureRunnable(agent);
    let turns = 0;
    for (;;) {
      h.ensureRunnable(agent);
      if (conv.pendingToolUses().length === 0) {
        if (conv.last?.role === 'assistant') {
          if (this.nudge(agent, conv)) return 'stalled';
          continue;
        }
        if (turns >= maxTurnsPerJob) return 'stalled';
        turns += 1;
        h.deliverMessages?.(agent, conv);
      }

      const result = await this.queueTurn(job, workspace);
      if (result === 'blocked') return 'blocked';
      if (result.reply === 'blocked') return 'blocked';
      if (result.reply === 'stopped') throw new Halt('the agent stopped while its turn was on the fleet');
      if (result.reply === 'retry') continue;
      if (conv.pendingToolUses().length === 0) continue; // a reply without tool calls: nudged above

      const ran = new Map(result.results.map((r) => [r.toolUseId, r]));
      let controlled = false;
      const end = await this.answerPending(job, async (use, input) => {
        const remote = ran.get(use.id);
        if (remote?.ran) return { content: remote.content, isError: remote.isError, progress: remote.progress };
        const first = !controlled;
        controlled = true;
        // The worker stopped at the first tool it left to us; a file tool after it would
        // run here, on a worktree without the worker's changes.
        if (workspace && !first && FILE_TOOLS.has(use.name)) return { content: AFTER_CONTROL_TOOL, isError: true };
        if (workspace && use.name === 'submit_task') {
          // The work is on the fleet ref; bring it into the coder's worktree to be committed.
          await h.requireWorkspace().adoptCoderWork(agent.rec.id, workspace.fleetRef, workspace.base);
        }
        return handle(use, input);
      });
      if (end) return end;
    }
  }

  /** One turn on the fleet; 'blocked' when it was dead-lettered (it is then an inbox item). */
  private async queueTurn(job: AgentJob, workspace: TurnWorkspace | null): Promise<TurnResult | 'blocked'> {
    const { team, agent, conv } = job;
    const h = this.host;
    const abort = new AbortController();
    agent.abort = abort;
    // A retried attempt (its worker died) may ask while the first call is still running:
    // it gets the same answer, never a second call.
    let inFlight: Promise<ModelReply> | null = null;
    const model = (): Promise<ModelReply> => {
      inFlight ??= this.answerModel(job, abort).finally(() => {
        inFlight = null;
      });
      return inFlight;
    };
    try {
      return await this.fleet.runTurn({
        // The same turn of the same conversation has the same key, so queuing it again after
        // a restart finds the job that is already there.
        key: `${h.mission.id}:${agent.rec.id}:${conv.key}:${conv.nextSeq}`,
        missionId: h.mission.id,
        agentId: agent.rec.id,
        agentName: agent.rec.name,
        role: agent.rec.role,
        workspace,
        model,
        signal: abort.signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new Halt('the agent stopped while its turn was queued');
      if (!isDeadLettered(error)) throw error;
      h.ensureRunnable(agent);
      h.raise({
        type: 'stall',
        level: 'human',
        teamId: team.rec.id,
        agentId: agent.rec.id,
        taskId: job.taskId,
        title: `A turn of ${agent.rec.name} failed on the fleet ${error.attempts} times`,
        detail: `${error.reason}. It is in the dead-letter queue. Approve to start the work again, deny to give it up.`,
        payload: { deadLetter: true, attempts: error.attempts, reason: error.reason },
      });
      return 'blocked';
    } finally {
      if (agent.abort === abort) agent.abort = null;
    }
  }

  /**
   * The worker's model RPC: the reply's tool uses that have no results yet; the model is
   * called only when the conversation has no such reply, so asking again is free.
   */
  private async answerModel(job: AgentJob, abort: AbortController): Promise<ModelReply> {
    const { team, agent, conv, tools, taskId } = job;
    const h = this.host;
    try {
      if (conv.pendingToolUses().length === 0 && conv.last?.role !== 'assistant') {
        const outcome = await this.callModel(team, agent, conv, tools, taskId);
        if (outcome !== 'ok') return { kind: outcome };
      }
    } catch (error) {
      if (error instanceof Halt) return { kind: 'stopped' };
      throw error;
    } finally {
      // callModel hands the agent's abort to its own call and clears it; the turn keeps one.
      if (!abort.signal.aborted) agent.abort = abort;
    }
    const uses = conv.pendingToolUses();
    return {
      kind: 'reply',
      uses: uses.map((u) => {
        const inputError = conv.inputErrors.get(u.id);
        return { id: u.id, name: u.name, input: u.input, ...(inputError ? { inputError } : {}) };
      }),
      approved: uses
        .filter((u) => {
          const esc = h.escalationForTool(agent, u.id);
          return esc?.state === 'resolved' && esc.decision === 'approve';
        })
        .map((u) => u.id),
    };
  }

  /** What a worker needs to work on this coder's task: the repository, the branch, its policy. */
  private async workspaceOf(job: AgentJob): Promise<TurnWorkspace> {
    const { team, agent, conv } = job;
    const h = this.host;
    const ws = h.requireWorkspace();
    const digest = createHash('sha256').update(`${h.mission.id}\n${agent.rec.id}\n${conv.key}`).digest('hex').slice(0, 24);
    return {
      repoUrl: this.options.repoUrl ?? ws.repoPath,
      coderBranch: ws.coderBranch(agent.rec.id),
      base: await ws.coderHead(agent.rec.id),
      fleetRef: `refs/control-room/fleet/${digest}`,
      writeScope: agent.spec?.permissions.writeScope ?? [],
      ownedPaths: [...(h.policyFor(job, ws.coderWorktree(agent.rec.id)).ownership?.owns ?? [])],
      allowedCommands: h.coderAllowlist(team, agent),
      commandTimeoutMs: h.ctx.options.commandTimeoutMs,
    };
  }
}
