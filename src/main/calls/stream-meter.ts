import { emptyUsage, mergeUsage, type Usage } from '../llm/provider.js';

/** What the reading of a forwarded SSE stream saw, so far. */
export interface StreamMeter {
  usage: Usage | null;
  messageId: string | null;
  model: string | null;
  stopReason: string | null;
  firstTokenAt: number | null;
  stopped: boolean;
  error: { type: string; message: string } | null;
}

/** The events whose data the meter reads; every other event's data is skipped unparsed. */
const METERED_EVENTS = new Set(['message_start', 'message_delta', 'error']);

/**
 * Reads the billing out of an SSE stream chunk by chunk, in step with the bytes handed to
 * the caller: message_start's and message_delta's usage (cumulative, cache creation split
 * included), the stop, and an `event: error`. Hand-written rather than the SDK's decoder
 * (`Stream.rawEvents`), which wants a `Response` of its own, so a tee of the body and an
 * async generator per event beside the pipe: this one is fed synchronously from the pipe
 * loop, so at a cut it has seen exactly the bytes that arrived, and it parses only the
 * data of the three events that matter (a long answer is mostly deltas). It follows the
 * SSE framing rules the API relies on: lines end in LF, CRLF or CR, an empty line ends an
 * event, `:` starts a comment, one space after the field's colon is dropped, data lines
 * join with LF, an event cut before its empty line is not dispatched.
 */
export class SseMeter {
  readonly seen: StreamMeter = {
    usage: null,
    messageId: null,
    model: null,
    stopReason: null,
    firstTokenAt: null,
    stopped: false,
    error: null,
  };
  readonly #decoder = new TextDecoder();
  readonly #now: () => number;
  readonly #onStart: ((seen: StreamMeter) => void) | undefined;
  /** The text after the last complete line. */
  #rest = '';
  #event: string | null = null;
  #data: string[] = [];

  /** `onStart` is told once message_start was read, in the `push` of the chunk that completed it. */
  constructor(now: () => number, onStart?: (seen: StreamMeter) => void) {
    this.#now = now;
    this.#onStart = onStart;
  }

  push(chunk: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const hasCr = text.includes('\r');
    let at = 0;
    for (;;) {
      let end = text.indexOf('\n', at);
      if (hasCr) {
        const cr = text.indexOf('\r', at);
        if (cr !== -1 && (end === -1 || cr < end)) {
          // A CR at the end of the chunk may be the first half of a CRLF.
          if (cr + 1 === text.length) break;
          end = cr;
        }
      }
      if (end === -1) break;
      this.#line(text.slice(at, end));
      at = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    }
    this.#rest = text.slice(at);
  }

  /** The body ended: a CR held back as a possible CRLF's first half was a line end after all. */
  end(): void {
    const text = this.#rest + this.#decoder.decode();
    this.#rest = '';
    // Anything else left is an unterminated line, of an event that never completed.
    if (text.endsWith('\r')) this.#line(text.slice(0, -1));
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) return;
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field === 'event') {
      this.#event = line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
      if (this.#event === 'content_block_delta') this.seen.firstTokenAt ??= this.#now();
    } else if (field === 'data' && (this.#event === null || METERED_EVENTS.has(this.#event))) {
      this.#data.push(colon === -1 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1));
    }
  }

  #dispatch(): void {
    const event = this.#event;
    const data = this.#data.join('\n');
    this.#event = null;
    this.#data = [];
    if (event === 'message_stop') {
      this.seen.stopped = true;
      return;
    }
    if (event === null || !METERED_EVENTS.has(event) || data === '') return;
    let parsed: {
      message?: { id?: unknown; model?: unknown; usage?: unknown };
      delta?: { stop_reason?: unknown };
      usage?: unknown;
      error?: { type?: unknown; message?: unknown };
    };
    try {
      parsed = JSON.parse(data) as typeof parsed;
    } catch {
      // Not ours to judge: the caller gets the bytes as sent, the row what could be read.
      return;
    }
    const seen = this.seen;
    if (event === 'message_start') {
      const message = parsed.message;
      seen.usage = mergeUsage(emptyUsage(), message?.usage as Record<string, unknown> | undefined);
      if (typeof message?.id === 'string') seen.messageId = message.id;
      if (typeof message?.model === 'string') seen.model = message.model;
      this.#onStart?.(seen);
    } else if (event === 'message_delta') {
      seen.usage = mergeUsage(seen.usage ?? emptyUsage(), parsed.usage as Record<string, unknown> | undefined);
      if (typeof parsed.delta?.stop_reason === 'string') seen.stopReason = parsed.delta.stop_reason;
    } else {
      seen.error = {
        type: typeof parsed.error?.type === 'string' ? parsed.error.type : 'api_error',
        message: typeof parsed.error?.message === 'string' ? parsed.error.message : 'stream error',
      };
    }
  }
}
