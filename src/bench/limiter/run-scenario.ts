/**
 * One contender against a fresh loopback fake: many agents issue calls in a loop for a
 * fixed time; the first seconds are warm-up and the rest is the measured window.
 */
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeMessagesApi } from '../../main/llm/testing/fake-messages-api.js';
import type { Contender } from './contenders.js';
import {
  BillingSampler,
  newTrace,
  percentile,
  ratePerMinute,
  type BillingSample,
  type CallTrace,
} from './measure.js';
import { agentCalls, benchResponder, toRequest, type BenchLimits, type WorkloadOptions } from './workload.js';

export interface ScenarioOptions {
  limits: BenchLimits;
  workload: WorkloadOptions;
  durationMs: number;
  warmupMs: number;
  seed: number;
  /** Fake service time: fixed latency to the first token plus a delay per streamed chunk. */
  firstTokenLatencyMs: number;
  eventDelayMs: number;
  chunkChars: number;
}

export interface ScenarioResult {
  contender: Contender;
  windowMs: number;
  /** Billed per minute of the window (least-squares rate), as a fraction of each limit. */
  fraction: { requests: number; input: number; output: number };
  /** The same for output from the window's two end points alone. */
  endpointOutputFraction: number;
  /** Output billed per bin of the whole run (from the end of the drain), as a fraction of the limit. */
  outputByBin: { binMs: number; fractions: number[] };
  /** The fake's output bucket replayed from its billing log, as a fraction of its capacity. */
  outputLevel: { start: number; end: number };
  http: {
    total: number;
    rateLimited: number;
    windowTotal: number;
    windowRateLimited: number;
    /** 429s by the limit the fake named, as the clients saw them. */
    rateLimitedBy: Record<string, number>;
    other: Record<string, number>;
  };
  calls: { issued: number; completed: number; sentOkInWindow: number; giveUps: number };
  waitMs: { p50: number; p95: number; max: number };
  /** From the start of the successful attempt to the end of its stream. */
  serviceMs: { p50: number; p95: number };
  /** CPU time this process used during the run (fake and clients together). */
  cpuMs: number;
  /** 99th percentile of the event loop's delay: the fake and the clients share one thread. */
  eventLoopP99Ms: number;
  /** Most requests the fake served at once. */
  serverMaxInFlight: number;
  errors: Map<string, number>;
  diagnostics: string | undefined;
}

/** Give-ups of one call after which the agent stops re-issuing it: a broken set-up, not a limit. */
const MAX_GIVE_UPS = 50;

const BIN_MS = 2_500;

function bins(
  sampler: BillingSampler,
  from: number,
  to: number,
  binMs: number,
  otpm: number,
): ScenarioResult['outputByBin'] {
  const fractions: number[] = [];
  for (let t = from; t + binMs <= to + 1; t += binMs) {
    const a = sampler.at(t);
    const b = sampler.at(t + binMs);
    fractions.push((b.output - a.output) / ((otpm * (b.at - a.at)) / 60_000));
  }
  return { binMs, fractions };
}

function statusTotals(byStatus: Record<number, number>): { total: number; rateLimited: number } {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return { total, rateLimited: byStatus[429] ?? 0 };
}

export async function runScenario(contender: Contender, options: ScenarioOptions): Promise<ScenarioResult> {
  const { limits } = options;
  const fake = await startFakeMessagesApi({
    seed: options.seed,
    limits: {
      haiku: {
        requestsPerMinute: limits.rpm,
        inputTokensPerMinute: limits.itpm,
        outputTokensPerMinute: limits.otpm,
      },
    },
    responder: benchResponder,
    firstTokenLatencyMs: options.firstTokenLatencyMs,
    eventDelayMs: options.eventDelayMs,
    chunkChars: options.chunkChars,
  });
  const sender = contender.start(fake.url, limits);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const sampler = new BillingSampler(fake.billing, limits.otpm, performance.now());
  const controller = new AbortController();
  // Every agent's sleep and every SDK request listens on this one signal.
  setMaxListeners(0, controller.signal);
  const errors = new Map<string, number>();
  const noteError = (error: unknown): void => {
    const text = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
    const key = text.replace(/\d+/g, '#').slice(0, 140);
    errors.set(key, (errors.get(key) ?? 0) + 1);
  };

  try {
    if (contender.drained) {
      // Steady state without waiting a minute: one call through the contender's own path
      // bills a whole minute of output, so the server's bucket (and a client-side limiter's
      // that accounts it) starts empty instead of handing out a minute of free burst.
      const drain = toRequest(
        { agent: -1, index: 0, inputTokens: 50, outputTokens: limits.otpm },
        limits.otpm,
      );
      await sender.send(drain, {
        agent: 0,
        role: 'background',
        trace: newTrace(),
        signal: controller.signal,
      });
      await fake.whenIdle();
    }
    // The drain's bill must land before the run's first sample, not in it.
    sampler.sample();

    const startedAt = performance.now();
    const cpuAtStart = process.cpuUsage();
    loop.enable();
    const windowStart = startedAt + options.warmupMs;
    const deadline = startedAt + options.durationMs;
    const traces: CallTrace[] = [];
    let windowStats: Record<number, number> = {};
    const windowTimer = setTimeout(() => {
      windowStats = { ...fake.stats.byStatus };
    }, options.warmupMs);

    const runAgent = async (agent: number): Promise<void> => {
      const { signal } = controller;
      for (const spec of agentCalls(options.workload, agent)) {
        try {
          await sleep(spec.thinkMs, undefined, { signal });
        } catch {
          return;
        }
        const trace = newTrace();
        traces.push(trace);
        const request = toRequest(spec, options.workload.maxTokens);
        for (;;) {
          try {
            await sender.send(request, { agent, role: 'coder', trace, signal });
            trace.completedAt = performance.now();
            break;
          } catch (error) {
            if (signal.aborted) return;
            noteError(error);
            // What an agent loop does when its client gives up: ask again.
            if (++trace.giveUps >= MAX_GIVE_UPS) return;
          }
        }
      }
    };
    const agents = Array.from({ length: options.workload.agents }, (_, agent) => runAgent(agent));

    await sleep(Math.max(0, deadline - performance.now()));
    const end = sampler.sample();
    const cpu = process.cpuUsage(cpuAtStart);
    loop.disable();
    const endStats = { ...fake.stats.byStatus };
    clearTimeout(windowTimer);
    controller.abort();
    sender.stop();
    await Promise.all(agents);
    sampler.stop();
    await Promise.race([fake.whenIdle(), sleep(5_000)]);

    const start: BillingSample = sampler.at(windowStart);
    const windowMs = end.at - start.at;
    const window = sampler.samples.filter((x) => x.at >= start.at && x.at <= end.at);
    const whole = statusTotals(fake.stats.byStatus);
    const atWindow = statusTotals(windowStats);
    const atEnd = statusTotals(endStats);
    const other: Record<string, number> = {};
    for (const [status, count] of Object.entries(fake.stats.byStatus)) {
      if (status !== '200' && status !== '429') other[status] = count;
    }
    const rateLimitedBy: Record<string, number> = {};
    for (const limit of traces.flatMap((t) => t.rejectedBy))
      rateLimitedBy[limit] = (rateLimitedBy[limit] ?? 0) + 1;
    const sentInWindow = traces.filter(
      (t) => t.okSentAt !== null && t.okSentAt >= start.at && t.okSentAt <= end.at,
    );
    const waits = sentInWindow.map((t) => (t.okSentAt as number) - t.issuedAt);
    const service = sentInWindow
      .filter((t) => t.completedAt !== null)
      .map((t) => (t.completedAt as number) - (t.okSentAt as number));

    return {
      contender,
      windowMs,
      fraction: {
        requests: ratePerMinute(window, 'requests') / limits.rpm,
        input: ratePerMinute(window, 'input') / limits.itpm,
        output: ratePerMinute(window, 'output') / limits.otpm,
      },
      outputByBin: bins(sampler, startedAt, end.at, BIN_MS, limits.otpm),
      endpointOutputFraction: (end.output - start.output) / ((limits.otpm * windowMs) / 60_000),
      outputLevel: { start: start.outputLevel / limits.otpm, end: end.outputLevel / limits.otpm },
      http: {
        total: whole.total,
        rateLimited: whole.rateLimited,
        windowTotal: atEnd.total - atWindow.total,
        windowRateLimited: atEnd.rateLimited - atWindow.rateLimited,
        rateLimitedBy,
        other,
      },
      calls: {
        issued: traces.length,
        completed: traces.filter((t) => t.completedAt !== null).length,
        sentOkInWindow: waits.length,
        giveUps: traces.reduce((n, t) => n + t.giveUps, 0),
      },
      waitMs: { p50: percentile(waits, 50), p95: percentile(waits, 95), max: percentile(waits, 100) },
      serviceMs: { p50: percentile(service, 50), p95: percentile(service, 95) },
      serverMaxInFlight: fake.stats.maxInFlight,
      eventLoopP99Ms: loop.percentile(99) / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1_000,
      errors,
      diagnostics: sender.diagnostics?.(),
    };
  } finally {
    loop.disable();
    controller.abort();
    sampler.stop();
    await sender.close();
    await fake.close();
  }
}
