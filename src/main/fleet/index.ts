import type { RemoteTurns } from '../tools/remote-turn.js';
import { FleetControl, type FleetControlOptions, type FleetStatus } from './fleet-control.js';

export { FleetControl, TurnDeadLettered, type FleetControlOptions, type FleetStatus } from './fleet-control.js';
export { FleetWorker, type FleetWorkerOptions } from './fleet-worker.js';

/** The fleet as the engine holds it: usable at once, connected in the background. */
export interface Fleet extends RemoteTurns {
  readonly redisUrl: string;
  /** Resolves once connected; rejects with the reason it cannot connect. */
  ready(): Promise<void>;
  /** The fleet's state for the Costs screen; `connected: false` with the reason while Redis does not answer. */
  status(): Promise<({ connected: true } & FleetStatus) | { connected: false; error: string }>;
  close(): Promise<void>;
}

/**
 * Starts connecting to Redis and the fleet API, and answers at once: the engine is built
 * synchronously, and a turn queued before the connection is up simply waits for it. A
 * Redis that never answers fails each turn with that reason (the agent fails and says it).
 */
export function createFleet(options: FleetControlOptions): Fleet {
  const starting = FleetControl.start(options);
  // Observed here so a failed start is not an unhandled rejection; callers see it through ready().
  starting.catch(() => undefined);
  let closed = false;
  return {
    redisUrl: options.redisUrl,
    async ready() {
      await starting;
    },
    async runTurn(request) {
      const control = await starting;
      if (closed) throw new Error('the fleet is closed');
      return control.runTurn(request);
    },
    async status() {
      try {
        const control = await starting;
        return { connected: true, ...(await control.status()) };
      } catch (error) {
        return { connected: false, error: (error as Error).message };
      }
    },
    async close() {
      closed = true;
      const control = await starting.catch(() => null);
      await control?.close();
    },
  };
}
