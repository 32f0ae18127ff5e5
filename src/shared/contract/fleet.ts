import { z } from 'zod';
import { command } from './define.js';

/** One fleet worker, as its last heartbeat described it. */
export interface FleetWorkerView {
  id: string;
  host: string;
  pid: number;
  /** Turns it runs at once. */
  concurrency: number;
  /** Turns it is running now. */
  active: number;
  /** Turns it has finished since it started. */
  processed: number;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Finishing the turns it holds and taking no new ones (it was told to stop). */
  draining: boolean;
}

/** The fleet as the Costs screen shows it. */
export type FleetStatusView =
  | { enabled: false }
  | {
      enabled: true;
      /** The Redis the turns are queued on, its password masked. */
      redisUrl: string;
      /** False while Redis does not answer; `error` says why, and turns fail with it. */
      connected: boolean;
      error: string | null;
      /** Workers online (a recent heartbeat); empty while disconnected. */
      workers: FleetWorkerView[];
      queue: { waiting: number; active: number; delayed: number };
      /** How long turns waited in the queue before a worker took them; null before any did. */
      waitMs: { p50: number | null; p95: number | null; samples: number };
      /** Turns that failed on every attempt; each also reaches the Inbox as an escalation. */
      deadLetters: number;
      completed: number;
    };

export const fleetCommands = {
  /**
   * Whether built-in agents' turns run on fleet workers (`--redis`, or the Redis URL in
   * Settings), and if so the workers, the queue and its waits. Cheap: the Costs screen
   * polls it while it is shown.
   */
  'fleet:get-status': command<FleetStatusView>()(z.object({}).strict()),
};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no fleet events: the Costs screen polls; kept so every domain has the same shape
export interface FleetEvents {}
