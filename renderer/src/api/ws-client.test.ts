import { describe, expect, it } from 'vitest';
import type { ClientFrame, ServerFrame } from '../../../src/shared/wire.js';
import { WsClient, type SocketLike, type Timers } from './ws-client.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: ClientFrame[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as ClientFrame);
  }
  close() {
    this.closed = true;
  }
  // Test side:
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({});
  }
  reply(frame: ServerFrame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  raw(data: unknown) {
    this.onmessage?.({ data });
  }
}

class FakeTimers implements Timers {
  queue: { fn: () => void; ms: number; id: number }[] = [];
  private next = 1;
  set(fn: () => void, ms: number) {
    const id = this.next++;
    this.queue.push({ fn, ms, id });
    return id;
  }
  clear(handle: unknown) {
    this.queue = this.queue.filter((t) => t.id !== handle);
  }
  runNext(): number {
    const timer = this.queue.shift();
    if (!timer) throw new Error('no timer pending');
    timer.fn();
    return timer.ms;
  }
}

function setup() {
  const clock = { now: 0 };
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const warnings: string[] = [];
  const client = new WsClient({
    url: 'ws://127.0.0.1:5000/ws',
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    timers,
    random: () => 1,
    now: () => clock.now,
    stableAfterMs: 5_000,
    warn: (m) => warnings.push(m),
  });
  const last = () => sockets[sockets.length - 1]!;
  return { client, sockets, timers, warnings, last, clock };
}

describe('WsClient', () => {
  it('queues invokes made while connecting and sends them once the socket opens', async () => {
    const { client, last } = setup();
    expect(client.state).toBe('connecting');
    const answer = client.invoke('teams:list', {});
    expect(last().sent).toEqual([]);
    last().open();
    expect(client.state).toBe('open');
    expect(last().sent).toEqual([{ kind: 'invoke', id: 1, channel: 'teams:list', request: {} }]);
    last().reply({ kind: 'result', id: 1, result: { ok: true, data: [] } });
    await expect(answer).resolves.toEqual({ ok: true, data: [] });
  });

  it('matches answers to requests by id, whatever order they come back in', async () => {
    const { client, last } = setup();
    last().open();
    const a = client.invoke('teams:get', { id: 'a' });
    const b = client.invoke('teams:get', { id: 'b' });
    const [first, second] = last().sent;
    last().reply({ kind: 'result', id: second!.id, result: { ok: true, data: 'B' } });
    last().reply({
      kind: 'result',
      id: first!.id,
      result: { ok: false, error: { code: 'not_found', message: 'gone' } },
    });
    await expect(a).resolves.toEqual({ ok: false, error: { code: 'not_found', message: 'gone' } });
    await expect(b).resolves.toEqual({ ok: true, data: 'B' });
  });

  it('fails pending invokes with unavailable when the socket drops, then reconnects', async () => {
    const { client, sockets, timers, last } = setup();
    last().open();
    const answer = client.invoke('teams:save', {
      design: { name: 'x', description: '', teams: [], canvas: { zoom: 1, offset: { x: 0, y: 0 } } },
    });
    last().drop();
    const result = await answer;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('unavailable');
    expect(client.state).toBe('offline');

    // While offline, invokes fail at once instead of hanging.
    const offline = await client.invoke('teams:list', {});
    expect(!offline.ok && offline.error.code).toBe('unavailable');

    timers.runNext();
    expect(sockets).toHaveLength(2);
    expect(client.state).toBe('connecting');
    last().open();
    expect(client.state).toBe('open');
  });

  it('backs off exponentially up to the cap, and resets after a connection that held', () => {
    const { timers, last, clock } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      last().drop();
      delays.push(timers.runNext());
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    last().open();
    clock.now += 5_000;
    last().drop();
    expect(timers.runNext()).toBe(250);
  });

  it('keeps backing off from a server that accepts and drops at once', () => {
    const { timers, last, clock } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      last().open();
      clock.now += 100;
      last().drop();
      delays.push(timers.runNext());
    }
    expect(delays).toEqual([250, 500, 1000, 2000]);
  });

  it('makes the retry after a failing attempt quick when asked during that attempt', () => {
    const { client, timers, last } = setup();
    for (let i = 0; i < 5; i += 1) {
      last().drop();
      timers.runNext();
    }
    expect(client.state).toBe('connecting');
    client.reconnectNow();
    last().drop();
    expect(timers.runNext()).toBe(250);
  });

  it('fails invokes queued during a connection attempt that never opens', async () => {
    const { client, last } = setup();
    const answer = client.invoke('app:get-info', {});
    last().drop();
    const result = await answer;
    expect(!result.ok && result.error.code).toBe('unavailable');
  });

  it('delivers batched events to the listeners of each name, and stops after unsubscribe', () => {
    const { client, last } = setup();
    last().open();
    const seen: string[] = [];
    const off = client.on('teams:changed', (e) => seen.push(`${e.change}:${e.id}`));
    last().reply({
      kind: 'events',
      events: [
        { name: 'teams:changed', payload: { id: 'a', change: 'saved', revision: 2 } },
        { name: 'teams:changed', payload: { id: 'b', change: 'deleted', revision: null } },
      ],
    });
    off();
    last().reply({
      kind: 'events',
      events: [{ name: 'teams:changed', payload: { id: 'c', change: 'saved', revision: 1 } }],
    });
    expect(seen).toEqual(['saved:a', 'deleted:b']);
  });

  it('keeps delivering to other listeners when one throws', () => {
    const { client, last, warnings } = setup();
    last().open();
    const seen: string[] = [];
    client.on('teams:changed', () => {
      throw new Error('boom');
    });
    client.on('teams:changed', (e) => seen.push(e.id));
    last().reply({
      kind: 'events',
      events: [{ name: 'teams:changed', payload: { id: 'a', change: 'saved', revision: 1 } }],
    });
    expect(seen).toEqual(['a']);
    expect(warnings.some((w) => w.includes('boom'))).toBe(true);
  });

  it('ignores malformed frames and answers to unknown ids', () => {
    const { client, last, warnings } = setup();
    last().open();
    last().raw('not json');
    last().raw(new ArrayBuffer(2));
    last().reply({ kind: 'result', id: 999, result: { ok: true, data: null } });
    expect(warnings).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('reconnects at once when asked, skipping the backoff', () => {
    const { client, sockets, timers, last } = setup();
    last().drop();
    expect(timers.queue).toHaveLength(1);
    client.reconnectNow();
    expect(timers.queue).toHaveLength(0);
    expect(sockets).toHaveLength(2);
  });

  it('reports state changes to subscribers', () => {
    const { client, last } = setup();
    const states: string[] = [];
    client.subscribe((s) => states.push(s));
    last().open();
    last().drop();
    expect(states).toEqual(['open', 'offline']);
  });

  it('closes the socket and fails what is pending on dispose', async () => {
    const { client, last, timers } = setup();
    last().open();
    const answer = client.invoke('teams:list', {});
    client.dispose();
    expect(last().closed).toBe(true);
    expect((await answer).ok).toBe(false);
    expect(timers.queue).toHaveLength(0);
  });
});
