import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full and refills continuously at limit / 60 000 per ms, up to capacity', () => {
    const bucket = new TokenBucket({ limit: 60_000, now: 0 });
    expect(bucket.capacity).toBe(60_000);
    bucket.take(60_000, 0);
    expect(bucket.level(0)).toBe(0);
    expect(bucket.level(1_000)).toBe(1_000);
    expect(bucket.level(30_000)).toBe(30_000);
    expect(bucket.level(120_000)).toBe(60_000);
  });

  it('reports how long until an amount fits', () => {
    const bucket = new TokenBucket({ limit: 600, now: 0 }); // 0.01 per ms
    bucket.take(600, 0);
    expect(bucket.timeUntil(6, 0)).toBeCloseTo(600);
    expect(bucket.timeUntil(6, 600)).toBe(0);
  });

  it('shrinks capacity for a sub-minute burst window but keeps the per-minute rate', () => {
    const bucket = new TokenBucket({ limit: 60_000, burstWindowMs: 10_000, now: 0 });
    expect(bucket.capacity).toBe(10_000);
    expect(bucket.refillPerMs).toBe(1);
    expect(bucket.level(0)).toBe(10_000);
  });

  it('clamps a reservation bigger than capacity: it fits once the bucket is full, leaving debt', () => {
    const bucket = new TokenBucket({ limit: 1_000, now: 0 });
    bucket.take(500, 0);
    expect(bucket.timeUntil(5_000, 0)).toBeCloseTo(30_000);
    expect(bucket.timeUntil(5_000, 30_000)).toBe(0);
    bucket.take(5_000, 30_000);
    expect(bucket.level(30_000)).toBe(-4_000);
    // Debt is paid back by refill before anything else fits.
    expect(bucket.timeUntil(1, 30_000)).toBeCloseTo(4_001 * 60);
  });

  it('settles a reservation: usage above it is debt, unused tokens come back', () => {
    const bucket = new TokenBucket({ limit: 60_000, now: 0 });
    const mark = bucket.take(50_000, 0);
    expect(bucket.settle(50_000, 20_000, mark, 0)).toBe(30_000);
    expect(bucket.level(0)).toBe(40_000);
    const debt = bucket.take(10_000, 0);
    expect(bucket.settle(10_000, 40_000, debt, 0)).toBe(-30_000);
    expect(bucket.level(0)).toBe(0);
  });

  it('does not refund what the capacity cap would have thrown away since the grant', () => {
    const bucket = new TokenBucket({ limit: 60_000, now: 0 }); // 1 token per ms
    const a = bucket.take(30_000, 0); // level 30 000
    bucket.level(20_000); // refilled to 50 000: 10 000 of headroom left
    const b = bucket.take(40_000, 20_000); // level 10 000
    // Had `a` reserved nothing, the bucket would have hit the cap at 10 000 ms and lost
    // 20 000 tokens of refill: only 10 000 of its 30 000 unused tokens may come back.
    expect(bucket.settle(30_000, 0, a, 20_000)).toBe(10_000);
    expect(bucket.level(20_000)).toBe(20_000);
    // `b` was granted after that; the refund of `a` already used its headroom.
    expect(bucket.settle(40_000, 0, b, 20_000)).toBe(30_000);
    expect(bucket.level(20_000)).toBe(50_000);
  });

  it('refunds nothing to a reservation whose bucket refilled to full meanwhile', () => {
    const bucket = new TokenBucket({ limit: 60_000, now: 0 });
    const mark = bucket.take(10_000, 0);
    bucket.level(60_000);
    expect(bucket.settle(10_000, 0, mark, 60_000)).toBe(0);
    expect(bucket.level(60_000)).toBe(60_000);
  });

  it('syncs down to the server remaining (refilled since the headers) and never up', () => {
    const bucket = new TokenBucket({ limit: 60_000, now: 0 });
    bucket.syncRemaining(1_000, 0, 500); // 1 000 then, plus 500 ms of refill
    expect(bucket.level(500)).toBe(1_500);
    bucket.syncRemaining(50_000, 500, 500);
    expect(bucket.level(500)).toBe(1_500);
  });

  it('scales rate and capacity by the factor, refilling elapsed time at the old rate', () => {
    const bucket = new TokenBucket({ limit: 60_000, factor: 0.5, now: 0 });
    expect(bucket.capacity).toBe(30_000);
    bucket.take(30_000, 0);
    bucket.setFactor(1, 1_000); // the first second refilled at 0.5 per ms
    expect(bucket.level(1_000)).toBe(500);
    expect(bucket.level(2_000)).toBe(1_500);
  });
});
