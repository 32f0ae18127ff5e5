import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { owningPath } from '../../shared/ownership.js';
import { coderTools, parseToolCall } from '../tools/agent-tools.js';
import { FILE_TOOLS, formatCommandOutcome, runFileTool } from '../tools/workspace-tools.js';
import { isCommandAllowed, runAllowedCommand, runCommand, type CommandOutcome } from '../workspace/commands.js';
import { createFileTools } from '../workspace/file-tools.js';
import { AGENT_EMAIL, git } from '../workspace/git.js';
import { toRefSlug } from '../workspace/mission-workspace.js';
import {
  HEARTBEAT_MS,
  HEARTBEAT_TTL_MS,
  TURN_QUEUE,
  WORKER_KEY_PREFIX,
  modelReplySchema,
  resultWithoutWorker,
  turnJobSchema,
  type ModelAsk,
  type ModelReply,
  type ModelRpcReply,
  type TurnJob,
  type TurnResult,
  type TurnToolResult,
  type TurnWorkspace,
  type WorkerBeat,
} from './protocol.js';
import { connectOrFail } from './redis-url.js';

/**
 * A fleet worker (`control-room worker`): takes agent turns from the BullMQ queue, asks
 * the control room for each turn's model reply, runs the reply's workspace tools in its own
 * clone of the mission's repository, pushes the coder's work back to a fleet ref, and
 * reports the results to the control room before completing the job. It never sees an
 * API key and writes no ledger: the control room does both.
 *
 * Crash safety: a turn's work is pushed before it is reported and before its job completes,
 * and a retried turn starts from what was pushed, so a worker killed mid-turn loses only
 * that attempt. The model RPC is idempotent (the control room answers a turn whose reply it
 * already stored with that reply, and a turn whose result it already took with that result),
 * so the retry is billed nothing and runs nothing twice.
 */

export interface FleetWorkerOptions {
  redisUrl: string;
  /** Turns this worker runs at once. Default 4. */
  concurrency?: number;
  /** Where the repositories are cloned (one clone per mission and agent). */
  workspaceRoot: string;
  /** Default `<host>-<pid>-<random>`. */
  id?: string;
  /**
   * How long a turn's lock lives without renewal; a worker that dies holds its turns this
   * long before another takes them. Default 30 s (BullMQ's); tests use less.
   */
  lockDurationMs?: number;
  logError?: (what: string, error: unknown) => void;
  /** Told when a turn starts and after it ends: for the CLI's log lines. */
  onStart?: (job: TurnJob) => void;
  onTurn?: (job: TurnJob, result: TurnResult | Error) => void;
}

const IDENTITY = { name: 'Control Room worker', email: AGENT_EMAIL };
/** Redis keys holding each fleet ref's last pushed commit (`<prefix><ref>`). */
const FLEET_REF_KEY_PREFIX = 'control-room:fleet-ref:';
const FLEET_REF_TTL_MS = 7 * 24 * 3_600_000;
/** A control room slower than this to take a report reads the result from the completed job. */
const REPORT_TIMEOUT_MS = 5_000;
/** The model RPC waits for the model's reply, which may wait for the rate limiter first. */
const MODEL_TIMEOUT_MS = 15 * 60_000;

export class FleetWorker {
  readonly id: string;
  private readonly worker: Worker;
  private readonly redis: Redis;
  private readonly concurrency: number;
  private readonly startedAt = Date.now();
  private active = 0;
  private processed = 0;
  private draining = false;
  private beat: NodeJS.Timeout | undefined;
  /** Clones known to be exactly at their fleet ref's commit after a successful turn. */
  private readonly atRef = new Map<string, { ref: string; sha: string }>();
  /** What a running turn's clone is at, recorded in `atRef` once the turn succeeds. */
  private readonly pending = new Map<string, { ref: string; sha: string }>();
  /** Turns of one agent run one after another here, never two at once in its clone. */
  private readonly clones = new Map<string, Promise<unknown>>();
  /** The remote URL each clone was last given here, so an unchanged one is not set again. */
  private readonly remotes = new Map<string, string>();

  private constructor(private readonly options: FleetWorkerOptions) {
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
    this.concurrency = options.concurrency ?? 4;
    const connection = { url: options.redisUrl, maxRetriesPerRequest: null };
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    this.worker = new Worker(TURN_QUEUE, (job: Job) => this.process(job), {
      connection,
      concurrency: this.concurrency,
      name: this.id,
      lockDuration: options.lockDurationMs ?? 30_000,
      // Checked as often as a lock can lapse, so a dead worker's turn waits about one lock period.
      stalledInterval: options.lockDurationMs ?? 30_000,
      // A turn whose worker died is given to another one; twice stalled, it fails (and is retried or dead-lettered).
      maxStalledCount: 2,
      autorun: false,
    });
    this.worker.on('error', (error) => options.logError?.('the fleet worker', error));
    // Reconnects are ioredis's business; start() and each turn report what fails.
    this.redis.on('error', () => undefined);
  }

  /** Connects and starts taking turns; rejects with a clear message when Redis does not answer. */
  static async start(options: FleetWorkerOptions): Promise<FleetWorker> {
    mkdirSync(options.workspaceRoot, { recursive: true });
    const worker = new FleetWorker(options);
    await connectOrFail(options.redisUrl, Promise.all([worker.worker.waitUntilReady(), worker.redis.ping()]), () => worker.close());
    await worker.heartbeat();
    worker.beat = setInterval(() => void worker.heartbeat(), HEARTBEAT_MS);
    void worker.worker.run();
    return worker;
  }

  private async heartbeat(): Promise<void> {
    const beat: WorkerBeat = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      concurrency: this.concurrency,
      active: this.active,
      processed: this.processed,
      startedAt: this.startedAt,
      draining: this.draining,
    };
    try {
      await this.redis.set(`${WORKER_KEY_PREFIX}${this.id}`, JSON.stringify(beat), 'PX', HEARTBEAT_TTL_MS);
    } catch (error) {
      this.options.logError?.('writing the heartbeat', error);
    }
  }

  /** Graceful drain (SIGTERM): takes no new turns, finishes the running ones, then disconnects. */
  async close(): Promise<void> {
    this.draining = true;
    await this.heartbeat();
    await this.worker.close();
    if (this.beat) clearInterval(this.beat);
    await this.redis.del(`${WORKER_KEY_PREFIX}${this.id}`).catch(() => undefined);
    this.redis.disconnect();
  }

  private async process(job: Job): Promise<TurnResult> {
    const data = turnJobSchema.parse(job.data);
    const waitMs = Math.max(0, (job.processedOn ?? Date.now()) - data.queuedAt);
    this.active += 1;
    this.options.onStart?.(data);
    const key = `${data.missionId}/${data.agentId}`;
    const before = this.clones.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.runTurn(data, waitMs));
    this.clones.set(key, run);
    try {
      const result = await run;
      this.processed += 1;
      this.options.onTurn?.(data, result);
      return result;
    } catch (error) {
      this.options.onTurn?.(data, error as Error);
      throw error;
    } finally {
      this.active -= 1;
      // The last turn of an agent here leaves no entry behind.
      if (this.clones.get(key) === run) this.clones.delete(key);
    }
  }

  /**
   * One attempt of a turn: the model RPC, the tools, the push, then the result report.
   * The report goes before the job completes, so the control room usually has the result
   * before BullMQ does; its failure costs only that head start.
   */
  private async runTurn(data: TurnJob, waitMs: number): Promise<TurnResult> {
    const clone = data.workspace ? await this.prepare(data, data.workspace) : null;
    const ask: ModelAsk = { workerId: this.id, waitMs };
    const reply = await askModel(data, ask);
    let result: TurnResult;
    if (reply.kind === 'reported') {
      // The control room has the result already: the reply left nothing to run here, or an
      // attempt before this one reported the turn and died before completing its job (its
      // work is pushed, and this clone is at it).
      result = reply.result;
    } else {
      // Null only for a reply with tools for this worker.
      result = resultWithoutWorker(data.workspace, reply, ask) ?? (await this.runTools(data, reply as Extract<ModelReply, { kind: 'reply' }>, clone, waitMs));
    }
    // The turn succeeded: its clone is at the ref's commit with nothing left over.
    const at = clone ? this.pending.get(clone) : undefined;
    if (clone && at) {
      this.pending.delete(clone);
      this.atRef.set(clone, at);
    }
    if (reply.kind !== 'reported') await this.report(data, result);
    return result;
  }

    /** Runs the reply's workspace tools in order, up to the first one left to the control room; pushes what they changed. */
  private async runTools(data: TurnJob, reply: Extract<ModelReply, { kind: 'reply' }>, clone: string | null, waitMs: number): Promise<TurnResult> {
    const results: TurnToolResult[] = [];
    let leftToControl = false;
    let touched = false;
    const files = clone && data.workspace ? createFileTools(clone, { writeScope: data.workspace.writeScope }) : null;
    for (const use of reply.uses) {
      // Once a tool is left to the control room, the ones after it are too: they run in order.
      const mine = !leftToControl && files !== null && !use.inputError && (FILE_TOOLS.has(use.name) || use.name === 'run_command');
      if (!mine || !clone || !data.workspace) {
        leftToControl = true;
        results.push({ ran: false, toolUseId: use.id });
        continue;
      }
      const parsed = parseToolCall(coderTools, use.name, use.input);
      if (!parsed.ok) {
        results.push({ ran: true, toolUseId: use.id, content: parsed.error, isError: true, progress: false });
        continue;
      }
      if ((use.name === 'write_file' || use.name === 'edit_file') && !reply.approved.includes(use.id) && writesOutsideTask(data.workspace, String(parsed.input.path))) {
        leftToControl = true; // the control room's policy refuses it or asks the leader
        results.push({ ran: false, toolUseId: use.id });
        continue;
      }
      if (use.name === 'run_command') {
        const command = String(parsed.input.command);
        const allowed = isCommandAllowed(command, data.workspace.allowedCommands);
        if (!allowed && !reply.approved.includes(use.id)) {
          leftToControl = true; // the control room asks for permission
          results.push({ ran: false, toolUseId: use.id });
          continue;
        }
        const timeoutMs = data.workspace.commandTimeoutMs;
        const outcome: CommandOutcome = allowed
          ? await runAllowedCommand(command, { cwd: clone, allowlist: data.workspace.allowedCommands, timeoutMs })
          : await runCommand(command.trim(), { cwd: clone, timeoutMs });
        touched = true;
        results.push(
          outcome.kind === 'ran'
            ? { ran: true, toolUseId: use.id, content: formatCommandOutcome(command, outcome), isError: outcome.exitCode !== 0, progress: false }
            : { ran: true, toolUseId: use.id, content: 'needs permission', isError: true, progress: false },
        );
        continue;
      }
      const outcome = await runFileTool(files, use.name, parsed.input);
      if (!outcome) continue;
      touched ||= outcome.progress === true;
      results.push({ ran: true, toolUseId: use.id, content: outcome.content, isError: outcome.isError === true, progress: outcome.progress === true });
    }
    if (touched && clone && data.workspace) await this.push(clone, data, data.workspace);
    return { reply: 'reply', results, workerId: this.id, waitMs };
  }

  /** The result report; when it fails, the control room reads the result from the completed job instead. */
  private async report(data: TurnJob, result: TurnResult): Promise<void> {
    try {
      const { status, text } = await callControl(data, 'result', JSON.stringify(result), REPORT_TIMEOUT_MS);
      // 409: nobody waits for this turn any more (its agent stopped); the job completes all the same.
      if (status !== 200 && status !== 409) throw new Error(`the control room answered ${status}: ${text.slice(0, 200)}`);
    } catch (error) {
      this.options.logError?.(`reporting turn ${data.turnId}`, error);
    }
  }

  /**
   * The agent's clone, at the work pushed so far for this job (or at its base): cloned on
   * first use, fetched on every turn, since the previous turn may have run on another worker.
   *
   * Every git process counts here (bench:fleet: a turn's git work is most of a worker's
   * CPU), so the remote is set again only when its URL changed, the coder branch is
   * fetched only when the job has pushed nothing yet (the fleet ref's commits sit on top of
   * the base, so fetching them brings the base too), a clone known to be clean is not
   * cleaned, and the commit checked out is read from HEAD rather than asked of git.
   */
  private async prepare(data: TurnJob, ws: TurnWorkspace): Promise<string> {
    const dir = join(this.options.workspaceRoot, toRefSlug(data.missionId), toRefSlug(data.agentId));
    // The fast path: this clone ended the agent's last turn here, and nobody pushed since
    // (the pushing worker records the ref's commit in Redis). Nothing to fetch or reset.
    const known = this.atRef.get(dir);
    this.atRef.delete(dir); // re-recorded only when this turn succeeds
    if (known && known.ref === ws.fleetRef) {
      const pushedSha = await this.redis.get(`${FLEET_REF_KEY_PREFIX}${ws.fleetRef}`).catch(() => undefined);
      if (pushedSha === known.sha || (pushedSha === null && known.sha === ws.base)) {
        this.pending.set(dir, known);
        return dir;
      }
    }
    if (!existsSync(join(dir, '.git'))) {
      mkdirSync(dir, { recursive: true });
      await git(['init', '--quiet'], { cwd: dir, internal: true });
      await git(['remote', 'add', 'origin', ws.repoUrl], { cwd: dir, internal: true });
    } else if (this.remotes.get(dir) !== ws.repoUrl) {
      await git(['remote', 'set-url', 'origin', ws.repoUrl], { cwd: dir, internal: true });
    }
    this.remotes.set(dir, ws.repoUrl);
    const pushed = await git(['fetch', '--quiet', '--no-tags', 'origin', `+${ws.fleetRef}:refs/control-room/work`], {
      cwd: dir,
      internal: true,
      okExitCodes: [128],
    });
    if (pushed.exitCode !== 0) {
      await git(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${ws.coderBranch}:refs/control-room/base`], { cwd: dir, internal: true });
    }
    const target = pushed.exitCode === 0 ? 'refs/control-room/work' : ws.base;
    await git(['checkout', '--quiet', '--force', '--detach', target], { cwd: dir, internal: true });
    // A clone whose last turn here succeeded holds no untracked files (that turn committed
    // everything it changed), so the checkout alone brings it to the target; otherwise a
    // failed turn may have left some.
    if (!known) await git(['clean', '-fdq'], { cwd: dir, internal: true });
    const sha = pushed.exitCode === 0 ? await headOf(dir) : ws.base;
    this.pending.set(dir, { ref: ws.fleetRef, sha });
    return dir;
  }

  /**
   * Commits what the turn changed and pushes it to the job's fleet ref, before the turn
   * reports done. Three git processes: commit's own exit code says whether there was
   * anything to commit, and the new commit is read from HEAD (see `prepare` on git's cost).
   */
  private async push(clone: string, data: TurnJob, ws: TurnWorkspace): Promise<void> {
    await git(['add', '--all'], { cwd: clone, internal: true });
    // Exit 1 is "nothing to commit": with hooks off and the message given, commit has no
    // other way to it (failures are 128).
    const commit = await git(['commit', '--quiet', '--no-verify', '-m', `${data.agentName}: turn ${data.turnId}`], {
      cwd: clone,
      internal: true,
      identity: IDENTITY,
      okExitCodes: [1],
    });
    if (commit.exitCode === 1) return;
    await git(['push', '--quiet', 'origin', `HEAD:${ws.fleetRef}`], { cwd: clone, internal: true });
    const sha = await headOf(clone);
    this.pending.set(clone, { ref: ws.fleetRef, sha });
    // Whoever takes the agent's next turn compares this with what its clone holds.
    await this.redis.set(`${FLEET_REF_KEY_PREFIX}${ws.fleetRef}`, sha, 'PX', FLEET_REF_TTL_MS);
  }
}

/** The commit a clone's HEAD is at: read from .git/HEAD, which holds it while detached (as the clones always are). */
async function headOf(clone: string): Promise<string> {
  const head = (await readFile(join(clone, '.git', 'HEAD'), 'utf8')).trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  return (await git(['rev-parse', 'HEAD'], { cwd: clone, internal: true })).stdout.trim();
}

/** The model RPC: the control room answers with the reply's tool uses (calling the model only if it has no reply yet). */
async function askModel(data: TurnJob, ask: ModelAsk): Promise<ModelRpcReply> {
  const { status, text } = await callControl(data, 'model', JSON.stringify(ask), MODEL_TIMEOUT_MS);
  if (status !== 200) throw new Error(`the control room answered ${status}: ${text.slice(0, 200)}`);
  return modelReplySchema.parse(JSON.parse(text));
}

// One pool of kept-alive connections to the control room for all turns: node:http rather
// than fetch, which took half of a busy worker's CPU (bench:fleet, model-only turns).
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * POSTs to the turn's route of the fleet API. Both routes may be asked twice (the model RPC
 * answers a turn with the reply it stored, a second report is ignored), so a request on a
 * kept-alive connection that the control room closed meanwhile is sent once more.
 */
function callControl(data: TurnJob, route: 'model' | 'result', body: string, timeoutMs: number, again = true): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${data.control.url}/fleet/v1/turns/${data.turnId}/${route}`);
    const https = url.protocol === 'https:';
    const headers = { authorization: `Bearer ${data.control.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'POST', agent: https ? agents.https : agents.http, headers });
    const timer = setTimeout(() => req.destroy(new Error(`the control room did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.complete) reject(new Error('the control room closed the connection mid-answer'));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (again && req.reusedSocket && error.code === 'ECONNRESET') resolve(callControl(data, route, body, timeoutMs, false));
      else reject(error);
    });
    req.end(body);
  });
}

/** Whether `path` lies outside every path the coder's task owns (never, for a task that owns none). */
function writesOutsideTask(workspace: TurnWorkspace, path: string): boolean {
  const owned = workspace.ownedPaths ?? [];
  return owned.length > 0 && owningPath(owned, path) === null;
}
