import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('runs due timers in due-time order, with now() at each timer', () => {
    const clock = new FakeClock(100);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    const late = clock.setTimeout(() => seen.push('never'), 50);
    clock.clearTimeout(late);
    clock.advance(30);
    expect(seen).toEqual(['a@110', 'b@120', 'c@120']);
    expect(clock.now()).toBe(130);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires timers scheduled by timers when they fall inside the advance', () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
    }, 5);
    clock.advance(9);
    expect(seen).toEqual([5]);
    expect(clock.nextTimerAt()).toBe(10);
    clock.advance(1);
    expect(seen).toEqual([5, 10]);
  });
});
