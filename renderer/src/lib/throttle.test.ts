import { describe, expect, it } from 'vitest';
import { throttle, type ThrottleTimers } from './throttle.js';

function fakeTimers() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const api: ThrottleTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers = timers.filter((x) => x !== t);
      t.fn();
    }
  };
  return { api, advance };
}

describe('throttle', () => {
  it('runs the first call at once and folds a burst into one trailing run', () => {
    const t = fakeTimers();
    let runs = 0;
    const run = throttle(() => runs++, 1_000, t.api);
    run();
    expect(runs).toBe(1);
    for (let i = 0; i < 10; i += 1) run();
    expect(runs).toBe(1);
    t.advance(999);
    expect(runs).toBe(1);
    t.advance(1);
    expect(runs).toBe(2);
    t.advance(5_000);
    expect(runs).toBe(2);
    run();
    expect(runs).toBe(3);
  });

  it('forgets a pending run when cancelled', () => {
    const t = fakeTimers();
    let runs = 0;
    const run = throttle(() => runs++, 1_000, t.api);
    run();
    run();
    run.cancel();
    t.advance(2_000);
    expect(runs).toBe(1);
  });
});
