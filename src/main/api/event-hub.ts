import type { EventEnvelope, EventName, EventPayload } from '../../shared/contract.js';

export type EventSink = (batch: EventEnvelope[]) => void;

export interface EventHubOptions {
  /** How often queued events are flushed to subscribers. 250 ms = 4 messages a second. */
  flushIntervalMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * Collects events from the engine and delivers them in batches, so a thousand busy
 * agents cost the UI a few messages a second, not thousands. Events emitted with a
 * coalescing key replace the pending event with the same key (a state snapshot only
 * matters in its latest version); others are delivered in order.
 */
export class EventHub {
  private readonly sinks = new Set<EventSink>();
  private pending: EventEnvelope[] = [];
  private readonly keyed = new Map<string, number>();
  private timer: unknown = undefined;
  private readonly flushIntervalMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(options: EventHubOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** Queues an event; `coalesceKey` lets a newer event replace an unsent older one. */
  emit<E extends EventName>(name: E, payload: EventPayload<E>, coalesceKey?: string): void {
    const envelope = { name, payload } as EventEnvelope;
    if (coalesceKey !== undefined) {
      const key = `${name}\u0000${coalesceKey}`;
      const at = this.keyed.get(key);
      if (at !== undefined) {
        this.pending[at] = envelope;
        return;
      }
      this.keyed.set(key, this.pending.length);
    }
    this.pending.push(envelope);
    this.timer ??= this.setTimer(() => this.flush(), this.flushIntervalMs);
  }

  /** Registers a transport; returns the function that unregisters it. */
  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Delivers everything queued now (also used on shutdown and in tests). */
  flush(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.keyed.clear();
    for (const sink of this.sinks) {
      try {
        sink(batch);
      } catch (error) {
        // One broken transport (a closed socket) must not starve the others.
        console.error('[control-room] event sink failed:', error);
      }
    }
  }

  close(): void {
    this.flush();
    this.sinks.clear();
  }
}
