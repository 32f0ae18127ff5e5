import type { EventEnvelope } from '../../shared/contract.js';
import type { Result } from '../../shared/result.js';
import type { ServerFrame } from '../../shared/wire.js';

/** A client frame that is well-formed enough to dispatch; the request is validated later. */
export interface InvokeFrame {
  id: number;
  channel: string;
  request: unknown;
}

/**
 * What a raw text frame turned out to be: an invoke to run, a malformed frame that
 * still carries an id (so it can be answered), or garbage that has nobody to answer.
 */
export type ParsedFrame =
  | { kind: 'invoke'; frame: InvokeFrame }
  | { kind: 'malformed'; id: number; message: string }
  | { kind: 'ignored' };

/**
 * Reads one client frame (see `src/shared/wire.ts`) without trusting any of it. Only the
 * frame's shape is checked here; the channel and request are the dispatcher's job, so
 * every transport refuses bad requests with the same words.
 */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'ignored' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'ignored' };
  const frame = value as Record<string, unknown>;
  const id = frame.id;
  if (typeof id !== 'number' || !Number.isFinite(id)) return { kind: 'ignored' };
  if (frame.kind !== 'invoke') {
    return { kind: 'malformed', id, message: `frame.kind must be "invoke"` };
  }
  if (typeof frame.channel !== 'string') {
    return { kind: 'malformed', id, message: 'frame.channel must be a string naming a command' };
  }
  return { kind: 'invoke', frame: { id, channel: frame.channel, request: frame.request } };
}

/** Serialises a command's answer. */
export function resultFrame(id: number, result: Result<unknown>): string {
  return JSON.stringify({ kind: 'result', id, result } satisfies ServerFrame);
}

/** Serialises one batch of events; done once per batch, whatever the number of sockets. */
export function eventsFrame(events: EventEnvelope[]): string {
  return JSON.stringify({ kind: 'events', events } satisfies ServerFrame);
}
