import { describe, expect, it } from 'vitest';
import { FakeClock } from './testing/fake-clock.js';
import { RateLimiter } from './rate-limiter.js';
import {
  LimiterError,
  type AcquireRequest,
  type LimiterAlert,
  type LimiterState,
  type PoolLimits,
  type RateLimiterOptions,
  type Ticket,
} from './types.js';

// 600 RPM = 0.01 request/ms, 60 000 ITPM = 1 token/ms, 6 000 OTPM = 0.1 token/ms.
const LIMITS: PoolLimits = { rpm: 600, itpm: 60_000, otpm: 6_000 };
// One request per second and a burst of one: a queue that moves one call per 1 000 ms.
const ONE_PER_SECOND: PoolLimits = { rpm: 60, itpm: 1e9, otpm: 1e9, burstWindowMs: 1_000 };

function setup(options: Partial<RateLimiterOptions> & { limits?: PoolLimits } = {}) {
  const clock = new FakeClock(0);
  const { limits = LIMITS, ...rest } = options;
  const limiter = new RateLimiter({
    clock,
    pools: { opus: { ...limits }, sonnet: { ...limits }, haiku: { ...limits } },
    rampStartFraction: 1,
    random: () => 0.5,
    ...rest,
  });
  return { clock, limiter };
}

const req = (over: Partial<AcquireRequest> = {}): AcquireRequest => ({
  pool: 'opus',
  agentId: 'a1',
  teamId: 't1',
  role: 'coder',
  estimatedInputTokens: 1_000,
  maxOutputTokens: 100,
  ...over,
});

const usage = (input: number, output: number, cacheCreation = 0, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheCreation,
  cache_read_input_tokens: cacheRead,
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Tracked {
  ticket?: Ticket;
  error?: unknown;
}

function track(promise: Promise<Ticket>): Tracked {
  const t: Tracked = {};
  promise.then(
    (ticket) => (t.ticket = ticket),
    (error: unknown) => (t.error = error),
  );
  return t;
}

async function granted(limiter: RateLimiter, request: AcquireRequest): Promise<Ticket> {
  const t = track(limiter.acquire(request));
  await flush();
  if (!t.ticket) throw new Error('expected an immediate grant');
  return t.ticket;
}

const opus = (limiter: RateLimiter) => limiter.getState().pools.opus;

describe('RateLimiter: reserve and reconcile', () => {
  it('reserves all three buckets and refunds what the call did not use (cache reads are free)', async () => {
    const { limiter } = setup();
    const ticket = await granted(limiter, req({ estimatedInputTokens: 30_000 }));
    expect(ticket.reserved).toEqual({ requests: 1, input: 30_000, output: 100 });
    expect(ticket.attempt).toBe(1);
    expect(opus(limiter).buckets.input.level).toBe(30_000);
    expect(opus(limiter).buckets.output.level).toBe(5_900);
    expect(opus(limiter).inFlight).toBe(1);

    limiter.complete(ticket, { usage: usage(10_000, 40, 2_000, 50_000) });
    const pool = opus(limiter);
    expect(pool.buckets.input.level).toBe(48_000);
    expect(pool.buckets.output.level).toBe(5_960);
    expect(pool.buckets.requests.level).toBe(599);
    expect(pool.inFlight).toBe(0);
  });

  it('charges usage above the reservation as debt, which delays the next call', async () => {
    const { clock, limiter } = setup();
    const ticket = await granted(limiter, req({ estimatedInputTokens: 10_000 }));
    limiter.complete(ticket, { usage: usage(80_000, 100) }); // 70 000 more than reserved
    expect(opus(limiter).buckets.input.level).toBe(-20_000);
    expect(opus(limiter).buckets.input.utilization).toBeGreaterThan(1);

    const next = track(limiter.acquire(req({ estimatedInputTokens: 1_000 })));
    clock.advance(20_999);
    await flush();
    expect(next.ticket).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(next.ticket?.waitedMs).toBe(21_000);
  });

  it('does not let a refund buy back refill the full bucket already threw away', async () => {
    const { clock, limiter } = setup();
    const a = await granted(limiter, req({ agentId: 'a', estimatedInputTokens: 30_000 }));
    clock.advance(30_000); // full again while `a` is in flight
    await granted(limiter, req({ agentId: 'b', estimatedInputTokens: 60_000 }));
    limiter.complete(a, { usage: usage(0, 0) });
    // Had `a` reserved nothing, the bucket would still be empty after `b`: 60 000 in one
    // instant is the whole capacity, so `c` must wait for refill.
    const c = track(limiter.acquire(req({ agentId: 'c', estimatedInputTokens: 30_000 })));
    await flush();
    expect(c.ticket).toBeUndefined();
    clock.advance(30_000);
    await flush();
    expect(c.ticket).toBeDefined();
  });

  it('admits a prompt bigger than the whole bucket once the bucket is full, instead of deadlocking', async () => {
    const { clock, limiter } = setup();
    const small = await granted(limiter, req({ agentId: 'small', estimatedInputTokens: 10_000 }));
    limiter.complete(small, { usage: usage(10_000, 100) });
    const huge = track(limiter.acquire(req({ estimatedInputTokens: 200_000 })));
    clock.advance(9_999);
    await flush();
    expect(huge.ticket).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(huge.ticket?.reserved.input).toBe(200_000);
    expect(opus(limiter).buckets.input.level).toBe(-140_000);
  });

  it('release refunds a reservation that was never sent, the request included', async () => {
    const { limiter } = setup();
    const ticket = await granted(limiter, req({ estimatedInputTokens: 5_000 }));
    limiter.release(ticket);
    const pool = opus(limiter);
    expect(pool.buckets.input.level).toBe(60_000);
    expect(pool.buckets.requests.level).toBe(600);
    // Settling twice is harmless.
    limiter.complete(ticket, { usage: usage(1, 1) });
    expect(limiter.fail(ticket, { status: 500 })).toMatchObject({ retry: false, reason: 'not-in-flight' });
  });

  it('learns an output estimate per role (EWMA), capped by max_tokens', async () => {
    const { limiter } = setup({ initialOutputEstimate: 1_000, outputEstimateAlpha: 0.5 });
    const first = await granted(limiter, req({ maxOutputTokens: 64_000 }));
    expect(first.reserved.output).toBe(1_000);
    limiter.complete(first, { usage: usage(1_000, 2_000) });
    expect((await granted(limiter, req({ agentId: 'b', maxOutputTokens: 64_000 }))).reserved.output).toBe(
      1_500,
    );
    expect((await granted(limiter, req({ agentId: 'c', maxOutputTokens: 800 }))).reserved.output).toBe(800);
    expect(
      (await granted(limiter, req({ agentId: 'd', role: 'leader', maxOutputTokens: 64_000 }))).reserved
        .output,
    ).toBe(1_000);
    expect(limiter.getState().outputEstimates).toEqual({ coder: 1_500 });
  });
});

describe('RateLimiter: learning from headers', () => {
  it('learns per-bucket limits and remaining, ignoring the combined tokens headers', async () => {
    const { limiter } = setup();
    const ticket = await granted(limiter, req());
    limiter.complete(ticket, {
      usage: usage(1_000, 100),
      headers: new Headers({
        'anthropic-ratelimit-requests-limit': '1200',
        'anthropic-ratelimit-input-tokens-limit': '120000',
        'anthropic-ratelimit-input-tokens-remaining': '5000',
        'anthropic-ratelimit-input-tokens-reset': '2030-01-01T00:00:00Z',
        'anthropic-ratelimit-output-tokens-limit': '12000',
        'anthropic-ratelimit-tokens-limit': '7',
        'anthropic-ratelimit-tokens-remaining': '0',
      }),
    });
    const { buckets } = opus(limiter);
    expect(buckets.requests.limit).toBe(1_200);
    expect(buckets.input).toMatchObject({
      limit: 120_000,
      limitSource: 'headers',
      level: 5_000,
      serverRemaining: 5_000,
      serverResetAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    expect(buckets.output).toMatchObject({ limit: 12_000, level: 5_900 });
  });

  it('changes nothing when only the combined tokens headers are present', async () => {
    const { limiter } = setup();
    const before = opus(limiter).buckets;
    const ticket = await granted(limiter, req({ estimatedInputTokens: 0, maxOutputTokens: 1 }));
    limiter.complete(ticket, {
      usage: usage(0, 1),
      headers: { 'anthropic-ratelimit-tokens-limit': '10', 'anthropic-ratelimit-tokens-remaining': '0' },
    });
    const after = opus(limiter).buckets;
    expect(after.input).toEqual(before.input);
    expect(after.output.limit).toBe(before.output.limit);
  });

  it('credits refill since the headers arrived (a long stream reports stale remaining)', async () => {
    const { clock, limiter } = setup();
    const ticket = await granted(limiter, req({ estimatedInputTokens: 0 }));
    clock.advance(2_000);
    limiter.complete(ticket, {
      usage: usage(0, 100),
      headers: { 'anthropic-ratelimit-input-tokens-remaining': '0' },
      headersAt: 500,
    });
    expect(opus(limiter).buckets.input.level).toBe(1_500);
  });

  it('learns from the headers of a 429 too', async () => {
    const { limiter } = setup();
    const ticket = await granted(limiter, req());
    limiter.fail(ticket, {
      status: 429,
      headers: {
        'retry-after': '1',
        'anthropic-ratelimit-input-tokens-limit': '40000',
        'anthropic-ratelimit-input-tokens-remaining': '0',
      },
    });
    expect(opus(limiter).buckets.input).toMatchObject({ limit: 40_000, limitSource: 'headers', level: 0 });
    limiter.setLimits('opus', { itpm: 50_000 });
    expect(opus(limiter).buckets.input).toMatchObject({ limit: 50_000, limitSource: 'configured' });
  });
});

describe('RateLimiter: ramp-up', () => {
  it('starts a pool at the start fraction with its first call and ramps to the full limit', async () => {
    const { clock, limiter } = setup({ rampStartFraction: 0.5, rampUpMs: 60_000 });
    clock.advance(600_000); // idle time before the first call does not count as ramping
    expect(opus(limiter).rateFactor).toBe(0.5);
    expect(opus(limiter).buckets.input).toMatchObject({ effectiveLimit: 30_000, capacity: 30_000 });

    const first = await granted(limiter, req({ estimatedInputTokens: 30_000 }));
    const second = track(limiter.acquire(req({ agentId: 'a2', estimatedInputTokens: 30_000 })));
    clock.advance(1_000);
    await flush();
    expect(second.ticket).toBeUndefined();
    expect(first.reserved.input).toBe(30_000);

    clock.advance(29_000);
    expect(opus(limiter).rateFactor).toBeCloseTo(0.75);
    clock.advance(30_000);
    await flush();
    expect(opus(limiter).rateFactor).toBe(1);
    expect(opus(limiter).buckets.input.capacity).toBe(60_000);
    // Refill never exceeds what the ramp allowed at the time: 30 000 took more than 30 s.
    expect(second.ticket!.waitedMs).toBeGreaterThan(30_000);
    expect(second.ticket!.waitedMs).toBeLessThan(60_000);
  });
});

describe('RateLimiter: 429', () => {
  const exhausted = { 'retry-after': '2', 'anthropic-ratelimit-input-tokens-remaining': '0' };

  it('pauses the pool until retry-after, then resumes; the retry queues like any call', async () => {
    const { clock, limiter } = setup();
    const ticket = await granted(limiter, req());
    const decision = limiter.fail(ticket, { status: 429, headers: exhausted, errorType: 'rate_limit_error' });
    expect(decision).toEqual({ retry: true, afterMs: 2_000, reason: 'rate-limited' });
    expect(opus(limiter).pausedUntil).toBe(2_000);
    expect(opus(limiter).rateFactor).toBe(1);

    const other = track(limiter.acquire(req({ agentId: 'a2', estimatedInputTokens: 0 })));
    const retry = track(limiter.acquire({ ...req(), retryOf: ticket }));
    await flush();
    expect(opus(limiter).waiting).toEqual({ queued: 1, parked: 0, retrying: 1 });
    clock.advance(1_999);
    await flush();
    expect(other.ticket).toBeUndefined();
    expect(retry.ticket).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(other.ticket).toBeDefined();
    expect(retry.ticket).toMatchObject({ attempt: 2, waitedMs: 2_000 });
    expect(opus(limiter).pausedUntil).toBeNull();
    // A failure answers one retry, not two.
    const again = track(limiter.acquire({ ...req(), retryOf: ticket }));
    await flush();
    expect(again.error).toBeInstanceOf(LimiterError);
    expect((again.error as LimiterError).code).toBe('retry-not-allowed');
  });

  it('treats a 429 while our accounting showed room as an acceleration limit: cut the rate, ramp again', async () => {
    const { clock, limiter } = setup({ rampUpMs: 60_000 });
    const ticket = await granted(limiter, req());
    const decision = limiter.fail(ticket, { status: 429, headers: { 'retry-after': '1' } });
    expect(decision).toEqual({ retry: true, afterMs: 1_000, reason: 'acceleration-limited' });
    expect(opus(limiter).rateFactor).toBe(0.5);
    expect(opus(limiter).buckets.input.effectiveLimit).toBe(30_000);
    clock.advance(30_000);
    expect(opus(limiter).rateFactor).toBeCloseTo(0.75);
    clock.advance(30_000);
    expect(opus(limiter).rateFactor).toBe(1);
  });

  it('does not cut the rate when we knew we were over (debt) or the server says the bucket is empty', async () => {
    const { limiter } = setup();
    const t1 = await granted(limiter, req({ agentId: 'x' }));
    const t2 = await granted(limiter, req({ agentId: 'y' }));
    limiter.complete(t1, { usage: usage(100_000, 1) }); // now in debt
    expect(limiter.fail(t2, { status: 429, headers: { 'retry-after': '1' } })).toMatchObject({
      reason: 'rate-limited',
    });
    expect(opus(limiter).rateFactor).toBe(1);
    const { limiter: l2 } = setup();
    const t3 = await granted(l2, req());
    expect(l2.fail(t3, { status: 429, headers: exhausted })).toMatchObject({ reason: 'rate-limited' });
    expect(opus(l2).rateFactor).toBe(1);
  });

  it('stops every pool on a spend limit: no retry, an alert, nothing runs until a human resumes', async () => {
    const { clock, limiter } = setup();
    const alerts: LimiterAlert[] = [];
    limiter.onAlert((a) => alerts.push(a));
    const ticket = await granted(limiter, req());
    const decision = limiter.fail(ticket, {
      status: 429,
      headers: { 'retry-after': '5' },
      errorType: 'rate_limit_error',
      errorMessage: 'enforced_spend_limit_reached: your organisation reached its monthly spend limit',
    });
    expect(decision).toMatchObject({ retry: false, reason: 'pool-stopped' });
    expect(alerts.map((a) => [a.pool, a.reason])).toEqual([
      ['opus', 'spend-limit'],
      ['sonnet', 'spend-limit'],
      ['haiku', 'spend-limit'],
    ]);
    expect(opus(limiter).stopped).toMatchObject({ reason: 'spend-limit', since: 0 });

    const retry = track(limiter.acquire({ ...req(), retryOf: ticket }));
    const waiting = track(limiter.acquire(req({ agentId: 'a2' })));
    clock.advance(3_600_000);
    await flush();
    expect((retry.error as LimiterError).code).toBe('retry-not-allowed');
    expect(waiting.ticket).toBeUndefined();
    expect(opus(limiter).queueDepth).toBe(1);

    limiter.resumePool('opus');
    await flush();
    expect(waiting.ticket).toBeDefined();
    expect(opus(limiter).stopped).toBeNull();
    expect(limiter.getState().pools.sonnet.stopped).not.toBeNull();
  });

  it('stops only the pool on a 429 without retry-after', async () => {
    const { limiter } = setup();
    const alerts: LimiterAlert[] = [];
    limiter.onAlert((a) => alerts.push(a));
    const ticket = await granted(limiter, req());
    expect(limiter.fail(ticket, { status: 429 })).toMatchObject({ retry: false, reason: 'pool-stopped' });
    expect(alerts).toEqual([
      expect.objectContaining({ pool: 'opus', reason: 'rate-limit-without-retry-after' }),
    ]);
    expect(limiter.getState().pools.sonnet.stopped).toBeNull();
  });

  it('gives up after maxRateLimitRetries 429s', async () => {
    const { clock, limiter } = setup({ retry: { maxRateLimitRetries: 2 } });
    let ticket = await granted(limiter, req());
    for (let i = 0; i < 2; i++) {
      expect(limiter.fail(ticket, { status: 429, headers: exhausted }).retry).toBe(true);
      const next = track(limiter.acquire({ ...req(), retryOf: ticket }));
      clock.advance(2_000);
      await flush();
      ticket = next.ticket!;
    }
    expect(ticket.attempt).toBe(3);
    expect(limiter.fail(ticket, { status: 429, headers: exhausted })).toMatchObject({
      reason: 'retries-exhausted',
    });
  });
});

describe('RateLimiter: server errors and the breaker', () => {
  it('backs off exponentially with jitter on 5xx / 529 / dropped connections, up to a retry cap', async () => {
    const draws = [0, 0.999, 0.5];
    const { clock, limiter } = setup({
      retry: { baseDelayMs: 1_000, maxDelayMs: 3_000, maxServerRetries: 3 },
      breaker: { failureThreshold: 100 },
      random: () => draws.shift() ?? 0,
    });
    let ticket = await granted(limiter, req());
    const decisions = [];
    for (const status of [500, 529, undefined]) {
      const decision = limiter.fail(ticket, { status });
      decisions.push(decision);
      if (!decision.retry) break;
      const next = track(limiter.acquire({ ...req(), retryOf: ticket }));
      clock.advance(decision.afterMs - 1);
      await flush();
      expect(next.ticket).toBeUndefined();
      expect(opus(limiter).waiting.retrying).toBe(1);
      clock.advance(1);
      await flush();
      ticket = next.ticket!;
    }
    // Steps 1 000, 2 000, 3 000 (capped); each delay is in [step / 2, step].
    expect(decisions).toEqual([
      { retry: true, afterMs: 500, reason: 'server-error' },
      { retry: true, afterMs: 1_999, reason: 'overloaded' },
      { retry: true, afterMs: 2_250, reason: 'connection-error' },
    ]);
    expect(ticket.attempt).toBe(4);
    expect(limiter.fail(ticket, { status: 503 })).toMatchObject({
      retry: false,
      reason: 'retries-exhausted',
    });
  });

  it('keeps a 5xx call’s input (it may have been counted) but refunds a 529’s; 4xx is not retried', async () => {
    const { limiter } = setup({ breaker: { failureThreshold: 100 } });
    const t1 = await granted(limiter, req({ estimatedInputTokens: 10_000 }));
    limiter.fail(t1, { status: 500 });
    expect(opus(limiter).buckets.input.level).toBe(50_000);
    const t2 = await granted(limiter, req({ estimatedInputTokens: 10_000 }));
    limiter.fail(t2, { status: 529 });
    expect(opus(limiter).buckets.input.level).toBe(50_000);
    const t3 = await granted(limiter, req());
    expect(limiter.fail(t3, { status: 400, errorType: 'invalid_request_error' })).toMatchObject({
      retry: false,
      reason: 'not-retryable',
    });
  });

  it('opens after 5 consecutive failures for 60 s, then lets one trial call through (half-open)', async () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 5; i++) {
      const ticket = await granted(limiter, req({ agentId: `f${i}` }));
      const decision = limiter.fail(ticket, { status: 503 });
      if (i === 4) expect(decision).toMatchObject({ retry: true, afterMs: 60_000 });
    }
    expect(opus(limiter).breaker).toEqual({ state: 'open', consecutiveFailures: 5, openUntil: 60_000 });

    const trial = track(limiter.acquire(req({ agentId: 'trial' })));
    const second = track(limiter.acquire(req({ agentId: 'second' })));
    clock.advance(59_999);
    await flush();
    expect(trial.ticket).toBeUndefined();
    clock.advance(1);
    await flush();
    expect(trial.ticket).toBeDefined();
    expect(second.ticket).toBeUndefined();
    expect(opus(limiter).breaker.state).toBe('half-open');

    limiter.complete(trial.ticket!, { usage: usage(1_000, 10) });
    await flush();
    expect(second.ticket).toBeDefined();
    expect(opus(limiter).breaker).toEqual({ state: 'closed', consecutiveFailures: 0, openUntil: null });
  });

  it('re-opens for another 60 s when the half-open trial fails', async () => {
    const { clock, limiter } = setup({ breaker: { failureThreshold: 2, openMs: 60_000 } });
    for (let i = 0; i < 2; i++)
      limiter.fail(await granted(limiter, req({ agentId: `f${i}` })), { status: 500 });
    clock.advance(60_000);
    const trial = await granted(limiter, req({ agentId: 'trial' }));
    limiter.fail(trial, { status: 500 });
    expect(opus(limiter).breaker).toMatchObject({ state: 'open', openUntil: 120_000 });
    // A success anywhere (here a 429: the server answered) closes it.
    clock.advance(60_000);
    const next = await granted(limiter, req({ agentId: 'next' }));
    limiter.fail(next, { status: 429, headers: { 'retry-after': '1' } });
    expect(opus(limiter).breaker.state).toBe('closed');
  });
});

describe('RateLimiter: scheduling', () => {
  it('serves leaders before coders before background work', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND });
    await granted(limiter, req({ agentId: 'blocker' }));
    const order: string[] = [];
    for (const [agentId, role] of [
      ['bg', 'background'],
      ['coder', 'coder'],
      ['leader', 'leader'],
    ] as const) {
      void limiter.acquire(req({ agentId, role })).then(() => order.push(agentId));
    }
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await flush();
    }
    expect(order).toEqual(['leader', 'coder', 'bg']);
  });

  it('ages waiting calls, so background work runs under constant leader load', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND, agingStepMs: 10_000 });
    await granted(limiter, req({ agentId: 'blocker' }));
    let bgGrantedAt: number | undefined;
    void limiter.acquire(req({ agentId: 'bg', role: 'background' })).then((t) => (bgGrantedAt = t.grantedAt));
    let leaders = 0;
    // Two new leader calls a second against a capacity of one a second: leaders never run out.
    for (let s = 0; s < 120 && bgGrantedAt === undefined; s++) {
      for (let k = 0; k < 2; k++) void limiter.acquire(req({ agentId: `l${leaders++}`, role: 'leader' }));
      clock.advance(1_000);
      await flush();
    }
    expect(bgGrantedAt).toBeDefined();
    // It waited behind the leaders that arrived within its 2-step (20 s) priority gap, no more.
    expect(bgGrantedAt!).toBeGreaterThan(20_000);
    expect(bgGrantedAt!).toBeLessThanOrEqual(42_000);
    expect(opus(limiter).waiting.queued).toBeGreaterThan(10);
  });

  it('shares capacity across teams in proportion to their weights', async () => {
    const { clock, limiter } = setup({
      limits: { rpm: 60_000, itpm: 1e9, otpm: 1e9, burstWindowMs: 1 }, // one call per ms
      teamWeights: { big: 3 },
    });
    limiter.setTeamWeight('small', 1);
    const counts: Record<string, number> = { big: 0, small: 0 };
    const ready: Ticket[] = [];
    const ask = (teamId: string, agentId: string) =>
      void limiter.acquire(req({ teamId, agentId, estimatedInputTokens: 100 })).then((t) => ready.push(t));
    for (let i = 0; i < 40; i++) {
      ask('big', `big-${i}`);
      ask('small', `small-${i}`);
    }
    await flush();
    for (let ms = 0; ms < 4_000; ms++) {
      for (const t of ready.splice(0)) {
        counts[t.teamId]!++;
        limiter.complete(t, { usage: usage(100, 10) });
        ask(t.teamId, t.agentId); // stay backlogged
      }
      clock.advance(1);
      await flush();
    }
    const total = counts.big! + counts.small!;
    expect(total).toBeGreaterThan(3_900);
    expect(counts.big! / total).toBeCloseTo(0.75, 2);
  });

  it('caps calls in flight per agent', async () => {
    const { limiter } = setup();
    const first = await granted(limiter, req());
    const second = track(limiter.acquire(req()));
    await flush();
    expect(second.ticket).toBeUndefined();
    expect(opus(limiter).waiting).toEqual({ queued: 0, parked: 1, retrying: 0 });
    limiter.complete(first, { usage: usage(1_000, 10) });
    await flush();
    expect(second.ticket).toBeDefined();

    const { limiter: two } = setup({ maxInFlightPerAgent: 2 });
    await granted(two, req());
    await granted(two, req());
    const third = track(two.acquire(req()));
    await flush();
    expect(third.ticket).toBeUndefined();
  });

  it('applies the agent cap across pools', async () => {
    const { limiter } = setup();
    const first = await granted(limiter, req({ pool: 'opus' }));
    const other = track(limiter.acquire(req({ pool: 'haiku' })));
    await flush();
    expect(other.ticket).toBeUndefined();
    limiter.complete(first, { usage: usage(1, 1) });
    await flush();
    expect(other.ticket?.pool).toBe('haiku');
  });
});

describe('RateLimiter: abort', () => {
  it('removes a queued call, rejects it with an AbortError, and lets the next call take its turn', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND });
    await granted(limiter, req({ agentId: 'blocker' }));
    const controller = new AbortController();
    const aborted = track(limiter.acquire(req({ agentId: 'x', role: 'leader', signal: controller.signal })));
    const next = track(limiter.acquire(req({ agentId: 'y' })));
    await flush();
    controller.abort();
    await flush();
    expect(aborted.error).toBeInstanceOf(DOMException);
    expect((aborted.error as DOMException).name).toBe('AbortError');
    expect(opus(limiter).queueDepth).toBe(1);
    clock.advance(1_000);
    await flush();
    expect(next.ticket).toBeDefined();
  });

  it('aborts a call parked behind its agent cap, and one aborted before it started', async () => {
    const { limiter } = setup();
    await granted(limiter, req());
    const controller = new AbortController();
    const parked = track(limiter.acquire(req({ signal: controller.signal })));
    await flush();
    expect(opus(limiter).waiting.parked).toBe(1);
    controller.abort();
    await flush();
    expect((parked.error as DOMException).name).toBe('AbortError');
    expect(opus(limiter).waiting.parked).toBe(0);
    const early = track(limiter.acquire(req({ agentId: 'z', signal: AbortSignal.abort() })));
    await flush();
    expect((early.error as DOMException).name).toBe('AbortError');
  });

  it('frees the agent slot when a queued call is aborted', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND });
    await granted(limiter, req({ agentId: 'blocker' }));
    const controller = new AbortController();
    void limiter.acquire(req({ signal: controller.signal })).catch(() => undefined);
    const parked = track(limiter.acquire(req()));
    await flush();
    expect(opus(limiter).waiting).toMatchObject({ queued: 1, parked: 1 });
    controller.abort();
    clock.advance(1_000);
    await flush();
    expect(parked.ticket).toBeDefined();
  });
});

describe('RateLimiter: state, timers, lifecycle', () => {
  it('publishes a plain JSON snapshot, throttled', async () => {
    const { clock, limiter } = setup({ stateThrottleMs: 100 });
    const seen: LimiterState[] = [];
    limiter.onChange((s) => seen.push(s));
    for (let i = 0; i < 10; i++) void limiter.acquire(req({ agentId: `a${i}` }));
    await flush();
    expect(seen).toHaveLength(0);
    clock.advance(100);
    expect(seen).toHaveLength(1);
    const state = seen[0]!;
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state.pools.opus).toMatchObject({
      pool: 'opus',
      inFlight: 10,
      queueDepth: 0,
      pausedUntil: null,
      stopped: null,
      breaker: { state: 'closed', consecutiveFailures: 0, openUntil: null },
    });
    expect(state.pools.opus.buckets.requests).toMatchObject({ limit: 600, capacity: 600, level: 591 });
    expect(state.pools.opus.buckets.requests.utilization).toBeCloseTo(9 / 600);
  });

  it('uses one wake-up timer per pool however many calls wait', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND, maxInFlightPerAgent: 1_000 });
    for (let i = 0; i < 1_000; i++)
      void limiter.acquire(req({ agentId: `a${i % 10}`, pool: i % 2 ? 'opus' : 'sonnet' }));
    await flush();
    expect(clock.pendingTimers).toBe(2);
    clock.advance(10_000);
    expect(clock.pendingTimers).toBe(2);
    expect(opus(limiter).inFlight).toBe(11);
  });

  // How fast it does so is measured by npm run bench:limiter / bench:engine, not here.
  it('grants every one of 20,000 calls queued by 1,000 agents', async () => {
    const { clock, limiter } = setup({
      limits: { rpm: 60_000, itpm: 1e12, otpm: 1e12, burstWindowMs: 10 },
      maxInFlightPerAgent: 20,
    });
    let done = 0;
    for (let i = 0; i < 20_000; i++) {
      const agent = i % 1_000;
      void limiter
        .acquire(
          req({
            agentId: `a${agent}`,
            teamId: `t${agent % 10}`,
            role: agent % 10 === 0 ? 'leader' : 'coder',
          }),
        )
        .then((t) => {
          done++;
          limiter.complete(t, { usage: usage(1_000, 100) });
        });
    }
    for (let ms = 0; ms < 21_000 && done < 20_000; ms += 10) {
      clock.advance(10);
      await flush();
    }
    expect(done).toBe(20_000);
  });

  it('close rejects waiting calls and later acquires', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND });
    await granted(limiter, req({ agentId: 'blocker' }));
    const waiting = track(limiter.acquire(req()));
    const parked = track(limiter.acquire(req()));
    limiter.close();
    await flush();
    expect((waiting.error as LimiterError).code).toBe('closed');
    expect((parked.error as LimiterError).code).toBe('closed');
    expect(clock.pendingTimers).toBe(0);
    const late = track(limiter.acquire(req()));
    await flush();
    expect((late.error as LimiterError).code).toBe('closed');
  });

  it('rejects invalid requests', async () => {
    const { limiter } = setup();
    const bad = track(limiter.acquire(req({ estimatedInputTokens: Number.NaN })));
    const noAgent = track(limiter.acquire(req({ agentId: '' })));
    await flush();
    expect((bad.error as LimiterError).code).toBe('invalid-request');
    expect((noAgent.error as LimiterError).code).toBe('invalid-request');
  });
});

describe('RateLimiter: telling the caller it waits', () => {
  it('calls onWaiting only for a call that cannot go at once', async () => {
    const { clock, limiter } = setup({ limits: ONE_PER_SECOND });
    const waited: string[] = [];
    const first = track(limiter.acquire(req({ agentId: 'a1', onWaiting: () => waited.push('a1') })));
    const second = track(limiter.acquire(req({ agentId: 'a2', onWaiting: () => waited.push('a2') })));
    // Told synchronously, before anything settles: the caller can show it at once.
    expect(waited).toEqual(['a2']);
    await flush();
    expect(first.ticket).toBeDefined();
    expect(second.ticket).toBeUndefined();
    clock.advance(1_000);
    await flush();
    expect(second.ticket).toBeDefined();
    expect(waited).toEqual(['a2']);
  });
});
