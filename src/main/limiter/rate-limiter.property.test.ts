import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './testing/fake-clock.js';
import { RateLimiter } from './rate-limiter.js';
import { MINUTE_MS } from './token-bucket.js';
import { BUCKET_NAMES, type BucketName, type Reservation, type Ticket } from './types.js';

interface Grant {
  at: number;
  reserved: Readonly<Reservation>;
  /** What the server counted; the reservation while still in flight. */
  used: Reservation;
  /** How far a clamped reservation went past the bucket's capacity at the time. */
  overshoot: Record<BucketName, number>;
}

const command = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      agent: fc.integer({ min: 0, max: 7 }),
      team: fc.integer({ min: 0, max: 2 }),
      role: fc.constantFrom('leader' as const, 'coder' as const, 'background' as const),
      // Sizes as a fraction of the bucket's full capacity; now and then past it (a clamp).
      input: fc.oneof(
        { weight: 9, arbitrary: fc.double({ min: 0, max: 0.7, noNaN: true }) },
        fc.double({ min: 0, max: 2, noNaN: true }),
      ),
      output: fc.oneof(
        { weight: 9, arbitrary: fc.double({ min: 0, max: 0.7, noNaN: true }) },
        fc.double({ min: 0, max: 2, noNaN: true }),
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 70_000 })),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      pick: fc.nat(),
      // Often nothing or everything: unused reservations are where refunds can cheat.
      input: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
      output: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      pick: fc.nat(),
      status: fc.constantFrom(429, 500, 529, undefined),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
);

const setup = fc.record({
  rpm: fc.integer({ min: 5, max: 300 }),
  itpm: fc.integer({ min: 2_000, max: 100_000 }),
  otpm: fc.integer({ min: 500, max: 20_000 }),
  burstWindowMs: fc.constantFrom(1_000, 10_000, 60_000),
  rampStartFraction: fc.constantFrom(0.25, 0.5, 1),
});

/**
 * Pinned: a reservation left unused while its bucket refilled to full must not be refunded
 * on top of the full bucket (random search rarely lines this up).
 */
type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

const REFUND_AFTER_FULL: [Setup, Command[]] = [
  { rpm: 300, itpm: 60_000, otpm: 20_000, burstWindowMs: 60_000, rampStartFraction: 1 },
  [
    { kind: 'acquire', agent: 0, team: 0, role: 'coder', input: 0.5, output: 0.01 },
    { kind: 'advance', ms: 30_000 },
    { kind: 'acquire', agent: 1, team: 0, role: 'coder', input: 1, output: 0.01 },
    { kind: 'complete', pick: 0, input: 0, output: 0 },
    { kind: 'acquire', agent: 2, team: 0, role: 'coder', input: 0.5, output: 0.01 },
  ],
];

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('RateLimiter (property)', () => {
  it('never lets real usage in any window [a, b] exceed capacity + rate * (b - a), clamps aside', async () => {
    await fc.assert(
      fc.asyncProperty(
        setup,
        fc.array(command, { minLength: 10, maxLength: 80, size: 'max' }),
        async (cfg: Setup, commands: Command[]) => {
          const clock = new FakeClock(0);
          const limits = { rpm: cfg.rpm, itpm: cfg.itpm, otpm: cfg.otpm, burstWindowMs: cfg.burstWindowMs };
          const limiter = new RateLimiter({
            clock,
            pools: { opus: limits, sonnet: limits, haiku: limits },
            rampStartFraction: cfg.rampStartFraction,
            rampUpMs: 60_000,
            // Reserve max_tokens (the estimate stays far above it), so sizes are what we draw.
            initialOutputEstimate: 1e12,
            outputEstimateAlpha: 1e-9,
            maxInFlightPerAgent: 2,
            breaker: { failureThreshold: 3, openMs: 30_000 },
          });
          const capacity = (limit: number) => (limit * cfg.burstWindowMs) / MINUTE_MS;
          const grants: Grant[] = [];
          const live: { ticket: Ticket; grant: Grant }[] = [];
          const takeLive = (pick: number) => live.splice(pick % live.length, 1)[0]!;

          for (const c of commands) {
            switch (c.kind) {
              case 'acquire':
                void limiter
                  .acquire({
                    pool: 'opus',
                    agentId: `a${c.agent}`,
                    teamId: `t${c.team}`,
                    role: c.role,
                    estimatedInputTokens: Math.round(c.input * capacity(cfg.itpm)),
                    maxOutputTokens: Math.max(1, Math.round(c.output * capacity(cfg.otpm))),
                  })
                  .then((ticket) => {
                    const buckets = limiter.getState().pools.opus.buckets;
                    const overshoot = {} as Record<BucketName, number>;
                    for (const name of BUCKET_NAMES) {
                      overshoot[name] = Math.max(0, ticket.reserved[name] - buckets[name].capacity);
                    }
                    const grant: Grant = {
                      at: ticket.grantedAt,
                      reserved: ticket.reserved,
                      used: { ...ticket.reserved },
                      overshoot,
                    };
                    grants.push(grant);
                    live.push({ ticket, grant });
                  })
                  .catch(() => undefined); // waiters still queued when the run closes the limiter
                break;
              case 'advance':
                clock.advance(c.ms);
                break;
              case 'complete': {
                if (live.length === 0) break;
                const { ticket, grant } = takeLive(c.pick);
                const input = Math.floor(ticket.reserved.input * c.input);
                const output = Math.floor(ticket.reserved.output * c.output);
                grant.used = { requests: 1, input, output };
                limiter.complete(ticket, { usage: { input_tokens: input, output_tokens: output } });
                break;
              }
              case 'fail': {
                if (live.length === 0) break;
                const { ticket, grant } = takeLive(c.pick);
                // Mirrors what the limiter assumes the server counted for each kind of failure.
                const keptInput = c.status === 500 || c.status === undefined ? ticket.reserved.input : 0;
                grant.used = { requests: 1, input: keptInput, output: 0 };
                limiter.fail(ticket, {
                  status: c.status,
                  headers: c.status === 429 ? { 'retry-after': '1' } : {},
                });
                break;
              }
              case 'release': {
                if (live.length === 0) break;
                const { ticket, grant } = takeLive(c.pick);
                grant.used = { requests: 0, input: 0, output: 0 };
                limiter.release(ticket);
                break;
              }
            }
            await flush();
          }
          limiter.close();

          for (const name of BUCKET_NAMES) {
            const limit = name === 'requests' ? cfg.rpm : name === 'input' ? cfg.itpm : cfg.otpm;
            const full = capacity(limit);
            const rate = limit / MINUTE_MS;
            for (let i = 0; i < grants.length; i++) {
              let used = 0;
              let overshoot = 0;
              for (let j = i; j < grants.length; j++) {
                const g = grants[j]!;
                used += g.used[name];
                overshoot += g.overshoot[name];
                const allowed = full + rate * (g.at - grants[i]!.at) + overshoot;
                if (used > allowed + 1e-6 * Math.max(1, allowed)) {
                  throw new Error(
                    `${name}: ${used} used in [${grants[i]!.at}, ${g.at}] > ${allowed} (capacity ${full}, rate ${rate})`,
                  );
                }
              }
            }
          }
        },
      ),
      { numRuns: 500, examples: [REFUND_AFTER_FULL] },
    );
  });

  it('so over any 60 s window usage stays within limit * (1 + burst window / 60 s)', async () => {
    // The sliding-minute bound implied by the property above, shown on the worst case: a
    // full bucket drained at once, then refill drained as it comes for the rest of the minute.
    const clock = new FakeClock(0);
    const limits = { rpm: 1e9, itpm: 60_000, otpm: 1e9, burstWindowMs: 10_000 };
    const limiter = new RateLimiter({
      clock,
      pools: { opus: limits, sonnet: limits, haiku: limits },
      rampStartFraction: 1,
      maxInFlightPerAgent: 1_000,
    });
    let used = 0;
    const take = (tokens: number) =>
      void limiter
        .acquire({
          pool: 'opus',
          agentId: 'a',
          teamId: 't',
          role: 'coder',
          estimatedInputTokens: tokens,
          maxOutputTokens: 1,
        })
        .then(() => (used += tokens));
    take(10_000);
    for (let s = 0; s < 60; s++) take(1_000);
    for (let ms = 0; ms <= 60_000; ms += 100) {
      clock.advance(100);
      await flush();
    }
    expect(used).toBe(70_000); // 60 000 * (1 + 10 / 60)
    limiter.close();
  });
});
