import { z } from 'zod';
import type { LimiterState } from '../limits.js';
import type { ModelPool } from '../models.js';
import { command } from './define.js';

const POOLS = ['opus', 'sonnet', 'haiku'] as const satisfies readonly ModelPool[];

export const limitsCommands = {
  /** The shared rate limiter's snapshot: every pool's buckets, queue, pause, breaker and stop. */
  'limits:get-state': command<LimiterState>()(z.object({}).strict()),
  /** A person's go-ahead for a stopped pool: clears its stop, pause and breaker. */
  'limits:resume-pool': command<LimiterState>()(z.object({ pool: z.enum(POOLS) }).strict()),
};

export interface LimitsEvents {
  /** The limiter's state changed (throttled in the limiter, coalesced in the event hub). */
  'limits:changed': LimiterState;
}
