import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';
import { FakeClock } from './testing/fake-clock.js';
import type { AcquireRequest, Ticket } from './types.js';
import { UsageWindow } from './usage-window.js';

const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

const req = (agentId: string): AcquireRequest => ({
  pool: 'sonnet',
  agentId,
  teamId: 't1',
  role: 'coder',
  estimatedInputTokens: 2_000,
  maxOutputTokens: 1_000,
});

async function grant(limiter: RateLimiter, request: AcquireRequest): Promise<Ticket> {
  let ticket: Ticket | undefined;
  void limiter.acquire(request).then((t) => (ticket = t));
  for (let i = 0; i < 10 && !ticket; i++) await Promise.resolve();
  if (!ticket) throw new Error('expected an immediate grant');
  return ticket;
}

describe('UsageWindow', () => {
  it('sums the last minute, replaces a reservation by its usage, and forgets what is older', () => {
    const window = new UsageWindow();
    const first = window.add(0, { requests: 1, input: 1_000, output: 500 });
    window.add(30_000, { requests: 1, input: 2_000, output: 500 });
    expect(window.used(30_000)).toEqual({ requests: 2, input: 3_000, output: 1_000 });
    window.settle(first, { requests: 1, input: 800, output: 120 });
    expect(window.used(45_000)).toEqual({ requests: 2, input: 2_800, output: 620 });
    // The first grant leaves the minute at 60 s; a late settle of it changes nothing.
    expect(window.used(60_000)).toEqual({ requests: 1, input: 2_000, output: 500 });
    window.settle(first, { requests: 0, input: 0, output: 0 });
    expect(window.used(60_001)).toEqual({ requests: 1, input: 2_000, output: 500 });
    expect(window.used(90_000)).toEqual({ requests: 0, input: 0, output: 0 });
  });
});

describe('RateLimiter: the last minute of use', () => {
  it('reports what the pool granted over the last minute, long after its buckets refilled', async () => {
    const clock = new FakeClock(0);
    const limits = { rpm: 4_000, itpm: 2_000_000, otpm: 400_000 };
    const limiter = new RateLimiter({
      clock,
      pools: { opus: limits, sonnet: limits, haiku: limits },
      rampStartFraction: 1,
      random: () => 0.5,
    });
    // Seventeen calls a few seconds apart, as a busy mission makes them.
    const tickets: Ticket[] = [];
    for (let i = 0; i < 17; i++) {
      const ticket = await grant(limiter, req(`a${i}`));
      clock.advance(2_000);
      limiter.complete(ticket, { usage: usage(1_500, 300) });
      tickets.push(ticket);
    }
    const inFlight = await grant(limiter, req('busy'));
    clock.advance(1_000);

    const requests = limiter.getState().pools.sonnet.buckets.requests;
    // The bucket has long refilled: its level says nothing about the minute's use.
    expect(requests.utilization).toBeLessThan(0.001);
    expect(requests.usedLastMinute).toBe(18);
    const sonnet = limiter.getState().pools.sonnet.buckets;
    // Settled calls count what they used, the one in flight what it reserved.
    expect(sonnet.input.usedLastMinute).toBe(17 * 1_500 + inFlight.reserved.input);
    expect(sonnet.output.usedLastMinute).toBe(17 * 300 + inFlight.reserved.output);
    expect(limiter.getState().pools.opus.buckets.requests.usedLastMinute).toBe(0);

    // A call released unsent counts nothing; a minute later the window is empty.
    limiter.release(inFlight);
    expect(limiter.getState().pools.sonnet.buckets.requests.usedLastMinute).toBe(17);
    clock.advance(61_000);
    expect(limiter.getState().pools.sonnet.buckets.requests.usedLastMinute).toBe(0);
    limiter.close();
  });
});
