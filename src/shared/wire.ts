import type { EventEnvelope } from './contract.js';
import type { Result } from './result.js';

/** Frames on browser mode's single WebSocket. One request object per invoke. */
export type ClientFrame = { kind: 'invoke'; id: number; channel: string; request: unknown };

export type ServerFrame =
  | { kind: 'result'; id: number; result: Result<unknown> }
  | { kind: 'events'; events: EventEnvelope[] };

/** Name of the query parameter and header that carry browser mode's per-launch token. */
export const TOKEN_PARAM = 'token';
export const TOKEN_HEADER = 'x-control-room-token';
