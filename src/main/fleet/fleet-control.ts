import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEAD_LETTER_QUEUE,
  TURN_QUEUE,
  WORKER_KEY_PREFIX,
  modelAskSchema,
  resultWithoutWorker,
  turnPriority,
  turnResultSchema,
  workerBeatSchema,
  type ModelReply,
  type ModelRpcReply,
  type TurnJob,
  type TurnResult,
  type TurnWorkspace,
  type WorkerBeat,
} from './protocol.js';
import { connectOrFail } from './redis-url.js';
import { BodyTooLarge, readBody } from '../http/read-body.js';
import type { AgentRole } from '../../shared/team.js';

/**
 * The control room's side of the fleet: it queues agent turns on Redis (BullMQ), answers
 * the workers' model RPCs and takes their result reports over a small HTTP API, moves
 * turns that failed past their retries to the dead-letter queue, and reports the fleet
 * (workers, queue depth, waits).
 */

export interface FleetControlOptions {
  /** `redis://host:port[/db]`. */
  redisUrl: string;
  /** Interface of the fleet API workers call; default 127.0.0.1 (workers on this machine only). */
  host?: string;
  port?: number;
  /** The URL workers are told to call (when `host` is 0.0.0.0 or behind a name); default from host and port. */
  advertiseUrl?: string;
  /** Attempts per turn before it is dead-lettered (default 3), and the first back-off (default 1 s, doubling). */
  attempts?: number;
  backoffMs?: number;
  /** Told when a turn was dead-lettered (the engine raises an inbox item for it). */
  logError?: (what: string, error: unknown) => void;
}

/** One turn the engine wants run on the fleet. */
export interface TurnRequest {
  /** Stable for one turn of one conversation: queuing it again (after a restart) finds the same job. */
  key: string;
  missionId: string;
  agentId: string;
  agentName: string;
  role: AgentRole;
  workspace: TurnWorkspace | null;
  /** Answers the worker's model RPC (called once per attempt; must be idempotent). */
  model(): Promise<ModelReply>;
  signal: AbortSignal;
}

/** A turn failed on every attempt; it is in the dead-letter queue. */
export class TurnDeadLettered extends Error {
  override readonly name = 'TurnDeadLettered';
  constructor(
    readonly reason: string,
    readonly attempts: number,
  ) {
    super(`the turn failed ${attempts} time(s) on the fleet: ${reason}`);
  }
}

export interface FleetStatus {
  workers: WorkerBeat[];
  queue: { waiting: number; active: number; delayed: number };
  waitMs: { p50: number | null; p95: number | null; samples: number };
  deadLetters: number;
  completed: number;
}

const WAIT_SAMPLES = 2_000;
/**
 * Reported results kept for a retried attempt of their job (see `reported`). An entry goes
 * when BullMQ finishes the job, normally a millisecond after the report; the cap only
 * bounds what a lost events stream would leave behind.
 */
const REPORTED_KEPT = 1_000;
/** A result report is a turn's tool results: file contents and command output, capped by the tools. */
const MAX_REPORT_BYTES = 16 * 1024 * 1024;
const MAX_ASK_BYTES = 4 * 1024;
/** Times one runTurn queues its turn when it finds stale ends of earlier askings (it needs two at most). */
const MAX_QUEUED = 3;

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

/** BullMQ ids may not contain ':'; a turn's key does. */
function jobIdOf(key: string): string {
  return `t-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** A turn in `runTurn`, with the way its worker's result report settles it. */
interface PendingTurn {
  request: TurnRequest;
  report(result: TurnResult): void;
  /** Whether a worker asked for its model reply while it waited (see `runTurn` on stale ends). */
  asked: boolean;
}

interface Waiter {
  finished: Promise<unknown>;
  stop(): void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class FleetControl {
  private readonly queue: Queue;
  private readonly dead: Queue;
  private readonly events: QueueEvents;
  private readonly redis: Redis;
  private readonly server: Server;
  private readonly token = randomBytes(24).toString('base64url');
  private readonly pending = new Map<string, PendingTurn>();
  /**
   * Results taken from a report whose job BullMQ has not finished yet (by job id). If that
   * job's worker dies before completing it, the retried attempt is answered with this result
   * instead of a reply: it completes the job at once, runs no tool a second time, and the
   * job's value in Redis is still the turn's real result.
   */
  private readonly reported = new Map<string, TurnResult>();
  private readonly waits: number[] = [];
  private completed = 0;
  private url = '';

  private constructor(private readonly options: FleetControlOptions) {
    const connection = { url: options.redisUrl, maxRetriesPerRequest: null };
    this.queue = new Queue(TURN_QUEUE, { connection });
    this.dead = new Queue(DEAD_LETTER_QUEUE, { connection });
    this.events = new QueueEvents(TURN_QUEUE, { connection });
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
    // Connection errors surface through start() and each turn; ioredis would otherwise
    // print every reconnect attempt as an unhandled error event.
    const quiet = (): void => undefined;
    this.queue.on('error', quiet);
    this.dead.on('error', quiet);
    this.events.on('error', quiet);
    this.redis.on('error', quiet);
    // One waiter per turn in flight listens on these: hundreds of agents are expected.
    this.queue.setMaxListeners(0);
    this.events.setMaxListeners(0);
    const finished = ({ jobId }: { jobId: string }): void => void this.reported.delete(jobId);
    this.events.on('completed', finished);
    this.events.on('failed', finished);
    this.server = createServer((req, res) => {
      void this.serve(req, res).catch((error: unknown) => {
        options.logError?.('answering a fleet worker', error);
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
  }

  /** Connects to Redis and starts the fleet API; rejects with a clear message when Redis does not answer. */
  static async start(options: FleetControlOptions): Promise<FleetControl> {
    const control = new FleetControl(options);
    await connectOrFail(
      options.redisUrl,
      Promise.all([control.queue.waitUntilReady(), control.events.waitUntilReady(), control.redis.ping()]),
      () => control.close(),
    );
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      control.server.once('error', reject);
      control.server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = control.server.address() as AddressInfo;
    control.url = options.advertiseUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    return control;
  }

  /** The fleet API's URL, as workers are told it. */
  get apiUrl(): string {
    return this.url;
  }

  /**
   * Runs one turn on the fleet and resolves with what the worker reported, or returned when
   * its report did not arrive. Rejects with `TurnDeadLettered` when every attempt failed (the
   * job is then in the dead-letter queue), or with an AbortError when `signal` fires (a
   * waiting job is withdrawn).
   */
  async runTurn(request: TurnRequest): Promise<TurnResult> {
    const jobId = jobIdOf(request.key);
    let report = (_: TurnResult): void => undefined;
    const reported = new Promise<TurnResult>((resolve) => (report = resolve));
    const turn: PendingTurn = { request, report, asked: false };
    this.pending.set(jobId, turn);
    const data: TurnJob = {
      turnId: jobId,
      missionId: request.missionId,
      agentId: request.agentId,
      agentName: request.agentName,
      role: request.role,
      control: { url: this.url, token: this.token },
      workspace: request.workspace,
      queuedAt: Date.now(),
    };
    const attempts = this.options.attempts ?? 3;
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = (): void => {
        void this.queue.remove(jobId).catch(() => undefined); // an active job cannot be withdrawn; its result is ignored
        reject(Object.assign(new Error('the turn was withdrawn'), { name: 'AbortError' }));
      };
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // each wait below races it
    let waiter: Waiter | undefined;
    try {
      for (let queued = 1; ; queued += 1) {
        waiter?.stop();
        // Listening before the job is queued, so that its end cannot be missed.
        waiter = this.untilFinished(jobId);
        await Promise.race([
          this.queue.add(`${request.agentName}`, data, {
            jobId,
            priority: turnPriority(request.role),
            attempts,
            backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1_000 },
            // The result is read by the waiter below; failures are copied to the dead-letter queue.
            removeOnComplete: { age: 3_600, count: 10_000 },
            removeOnFail: { age: 3_600, count: 10_000 },
          }),
          aborted,
        ]);
        // Queuing a turn again finds its job if it is still there (after a restart, a retry
        // answer, a budget stop, a dead letter); one that had ended sends no more events.
        const before = turn.asked ? null : await Promise.race([this.endedBefore(jobId), aborted]);
        // Stale, the end of an earlier asking of this turn, when the model was not asked while
        // this turn waited: a failure, or an answer that is no reply (blocked, retry, stopped).
        // Its job is removed and the turn queued anew. An earlier reply stands: its tool
        // results are for the very tool uses the turn has pending (a restart finds them so).
        const stale = (ended: TurnResult | null): boolean => !turn.asked && (ended === null || ended.reply !== 'reply') && queued < MAX_QUEUED;
        if (before && 'failed' in before) {
          if (stale(null)) {
            await Promise.race([this.queue.remove(jobId), aborted]);
            continue;
          }
          await this.deadLetter(data, before.failed);
          throw new TurnDeadLettered(before.failed, attempts);
        }
        let first: TurnResult | { value: unknown };
        try {
          // The report is the fast path; BullMQ's completion is the fallback, and its failure
          // (past the retries) is the only way a turn fails. Whichever settles first is the
          // turn's outcome: a late completion or failure of a reported turn is ignored.
          first = before ?? (await Promise.race([reported, waiter.finished.then((value: unknown) => ({ value })), aborted]));
        } catch (error) {
          if ((error as Error).name === 'AbortError') throw error;
          const reason = (error as Error).message;
          await this.deadLetter(data, reason);
          throw new TurnDeadLettered(reason, attempts);
        }
        // A reported result was validated when it arrived; a stored one that is no result is stale.
        const result = 'value' in first ? (before ? (turnResultSchema.safeParse(first.value).data ?? null) : turnResultSchema.parse(first.value)) : first;
        if (stale(result)) {
          // A report may come before its job ends; the job is removed once it has.
          if (!before) await Promise.race([waiter.finished.catch(() => undefined), aborted]);
          await Promise.race([this.queue.remove(jobId), aborted]);
          continue;
        }
        if (!result) throw new Error(`the turn's job holds no turn result`);
        this.completed += 1;
        this.waits.push(result.waitMs);
        if (this.waits.length > WAIT_SAMPLES) this.waits.shift();
        return result;
      }
    } finally {
      waiter?.stop();
      request.signal.removeEventListener('abort', onAbort);
      this.pending.delete(jobId);
    }
  }

  /** Resolves with the job's value when it completes, rejects with its reason when it fails (past its retries). */
  private untilFinished(jobId: string): Waiter {
    let stop = (): void => undefined;
    const finished = new Promise<unknown>((resolve, reject) => {
      const completed = ({ returnvalue }: { returnvalue: unknown }): void => {
        stop();
        resolve(returnvalue);
      };
      const failed = ({ failedReason }: { failedReason: string }): void => {
        stop();
        reject(new Error(failedReason));
      };
      // QueueEvents emits `<event>:<jobId>` too, which its typed listeners do not list.
      const events = this.events as EventEmitter;
      events.on(`completed:${jobId}`, completed);
      events.on(`failed:${jobId}`, failed);
      stop = (): void => {
        events.off(`completed:${jobId}`, completed);
        events.off(`failed:${jobId}`, failed);
      };
    });
    finished.catch(() => undefined); // raced where it matters; a turn taken from its report ignores it
    return { finished, stop: () => stop() };
  }

  /** How the job ended if it already has: its value, or its failure. Null while it has not. */
  private async endedBefore(jobId: string): Promise<{ value: unknown } | { failed: string } | null> {
    const state = await this.queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed') return null;
    const job = await this.queue.getJob(jobId);
    if (state === 'failed') return { failed: job?.failedReason ?? 'the turn failed' };
    return { value: job?.returnvalue };
  }

  private async deadLetter(data: TurnJob, reason: string): Promise<void> {
    try {
      await this.dead.add('dead-letter', { ...data, failedReason: reason, deadAt: Date.now() }, { removeOnComplete: false });
    } catch (error) {
      this.options.logError?.('writing a turn to the dead-letter queue', error);
    }
  }

  /** Workers online (from their heartbeats), the queue, wait percentiles and dead letters. */
  async status(): Promise<FleetStatus> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const beats = keys.length > 0 ? await this.redis.mget(...keys) : [];
    const workers = beats.flatMap((raw) => {
      const parsed = workerBeatSchema.safeParse(raw ? JSON.parse(raw) : null);
      return parsed.success ? [parsed.data] : [];
    });
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    const sorted = [...this.waits].sort((a, b) => a - b);
    return {
      workers: workers.sort((a, b) => a.id.localeCompare(b.id)),
      queue: { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0 },
      waitMs: { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), samples: sorted.length },
      deadLetters: await this.dead.count(),
      completed: this.completed,
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/fleet\/v1\/turns\/([A-Za-z0-9_-]{1,64})\/(model|result)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(res, 404, { error: 'not found' });
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { error: 'bad token' });
    const jobId = match[1] ?? '';
    let text: string;
    try {
      text = (await readBody(req, match[2] === 'result' ? MAX_REPORT_BYTES : MAX_ASK_BYTES)).toString('utf8');
    } catch (error) {
      if (error instanceof BodyTooLarge) return send(res, 413, { error: 'the body is too large' });
      throw error;
    }
    let body: unknown = null;
    try {
      if (text !== '') body = JSON.parse(text);
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    return match[2] === 'result' ? this.takeReport(jobId, body, res) : this.answerModel(jobId, body, res);
  }

  /** The model RPC: the engine's reply, or the turn's result when the control room already has it. */
  private async answerModel(jobId: string, body: unknown, res: ServerResponse): Promise<void> {
    // A worker of an older build asks without a body; it is given plain replies.
    const ask = body === null ? null : modelAskSchema.safeParse(body);
    if (ask && !ask.success) return send(res, 400, { error: `not a model RPC: ${ask.error.message.slice(0, 300)}` });
    // Checked first: a reported turn's runTurn may not have let go of it yet.
    const known = this.reported.get(jobId);
    if (known) return send(res, 200, { kind: 'reported', result: known } satisfies ModelRpcReply);
    const turn = this.pending.get(jobId);
    // Not (or no longer) wanted: the agent was killed, or this control room restarted and
    // has not asked for the turn again yet. The worker fails the attempt; BullMQ retries it.
    if (!turn) return send(res, 409, { error: 'this turn is not waiting for a reply' });
    turn.asked = true;
    const reply = await turn.request.model();
    const result = ask && this.pending.get(jobId) === turn ? resultWithoutWorker(turn.request.workspace, reply, ask.data) : null;
    if (!result) return send(res, 200, reply);
    send(res, 200, { kind: 'reported', result: this.take(jobId, turn, result) } satisfies ModelRpcReply);
  }

  /** A worker's result report: the turn's outcome, taken once; the job completes on BullMQ as well. */
  private takeReport(jobId: string, body: unknown, res: ServerResponse): void {
    const parsed = turnResultSchema.safeParse(body);
    if (!parsed.success) return send(res, 400, { error: `not a turn result: ${parsed.error.message.slice(0, 300)}` });
    // Another attempt's report, or the same one sent again: the first one stands.
    if (this.reported.has(jobId)) return send(res, 200, { taken: false });
    const turn = this.pending.get(jobId);
    // The worker completes its job anyway; nobody here reads it (see the model RPC's 409).
    if (!turn) return send(res, 409, { error: 'this turn is not waiting for a result' });
    this.take(jobId, turn, parsed.data);
    send(res, 200, { taken: true });
  }

  /** Settles a turn with its result, unless one was taken already; returns the one that stands. */
  private take(jobId: string, turn: PendingTurn, result: TurnResult): TurnResult {
    const known = this.reported.get(jobId);
    if (known) return known;
    this.reported.set(jobId, result);
    if (this.reported.size > REPORTED_KEPT) this.reported.delete(this.reported.keys().next().value ?? '');
    turn.report(result);
    return result;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.redis.disconnect();
    // BullMQ's close waits for its connection; a Redis that went away must not hold shutdown.
    await Promise.race([
      Promise.allSettled([this.events.close(), this.queue.close(), this.dead.close()]),
      new Promise((r) => setTimeout(r, 2_000).unref()),
    ]);
    for (const client of [this.events, this.queue, this.dead]) void client.disconnect().catch(() => undefined);
  }
}
