import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../shared/contract.js';
import { EventHub } from './event-hub.js';

/** A hub whose timer is driven by hand, so batching is observable without waiting. */
function manualHub() {
  let scheduled: (() => void) | undefined;
  let timersSet = 0;
  const hub = new EventHub({
    setTimer: (fn) => {
      timersSet++;
      scheduled = fn;
      return 1;
    },
    clearTimer: () => {
      scheduled = undefined;
    },
  });
  const batches: EventEnvelope[][] = [];
  hub.subscribe((batch) => batches.push(batch));
  return { hub, batches, tick: () => scheduled?.(), timersSet: () => timersSet };
}

describe('EventHub', () => {
  it('delivers many events as one batch per flush interval', () => {
    const { hub, batches, tick, timersSet } = manualHub();
    for (let i = 0; i < 1000; i++) hub.emit('teams:changed', { id: `d${i}`, change: 'saved', revision: i });
    expect(batches).toHaveLength(0);
    expect(timersSet()).toBe(1);
    tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(1000);
    expect(batches[0]![999]!.payload).toMatchObject({ id: 'd999' });
  });

  it('keeps only the newest event for a coalescing key, in its first position', () => {
    const { hub, batches, tick } = manualHub();
    hub.emit('teams:changed', { id: 'a', change: 'saved', revision: 1 }, 'a');
    hub.emit('teams:changed', { id: 'b', change: 'saved', revision: 1 });
    hub.emit('teams:changed', { id: 'a', change: 'saved', revision: 2 }, 'a');
    tick();
    expect(batches[0]!.map((e) => e.payload)).toEqual([
      { id: 'a', change: 'saved', revision: 2 },
      { id: 'b', change: 'saved', revision: 1 },
    ]);
  });

  it('keeps delivering to healthy subscribers when one throws', () => {
    const { hub, batches, tick } = manualHub();
    hub.subscribe(() => {
      throw new Error('socket closed');
    });
    const seen: number[] = [];
    hub.subscribe((batch) => seen.push(batch.length));
    hub.emit('teams:changed', { id: 'a', change: 'deleted', revision: null });
    const original = console.error;
    console.error = () => {};
    try {
      tick();
    } finally {
      console.error = original;
    }
    expect(batches).toHaveLength(1);
    expect(seen).toEqual([1]);
  });

  it('flushes what is pending on close', () => {
    const { hub, batches } = manualHub();
    hub.emit('teams:changed', { id: 'a', change: 'deleted', revision: null });
    hub.close();
    expect(batches).toHaveLength(1);
  });
});
