import type { FleetStatusView } from '../../../shared/contract/fleet.js';
import type { Fleet } from '../../fleet/index.js';
import { maskRedisUrl, maskRedisUrlIn } from '../../../shared/redis-url.js';
import type { Handlers } from '../dispatch.js';

/** What the handler needs of the fleet: its Redis and its status. */
export type FleetStatusSource = Pick<Fleet, 'redisUrl' | 'status'>;

/**
 * How long one status answer may take. Queue reads wait for Redis as long as it takes (so
 * turns survive a blip), but the Costs screen polls every 2 s and must be told that Redis
 * is not answering rather than wait with it.
 */
export const FLEET_STATUS_TIMEOUT_MS = 3_000;

/** Handlers for the fleet; `fleet` is null when turns run in this process (no Redis configured). */
export function fleetHandlers(
  fleet: FleetStatusSource | null = null,
  timeoutMs = FLEET_STATUS_TIMEOUT_MS,
): Pick<Handlers, 'fleet:get-status'> {
  return {
    'fleet:get-status': async (): Promise<FleetStatusView> => {
      if (!fleet) return { enabled: false };
      const redisUrl = maskRedisUrl(fleet.redisUrl);
      const disconnected = (error: string): FleetStatusView => ({
        enabled: true,
        redisUrl,
        connected: false,
        error: maskRedisUrlIn(error, fleet.redisUrl),
        workers: [],
        queue: { waiting: 0, active: 0, delayed: 0 },
        waitMs: { p50: null, p95: null, samples: 0 },
        deadLetters: 0,
        completed: 0,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<{ connected: false; error: string }>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({ connected: false, error: `no answer from ${redisUrl} within ${timeoutMs / 1_000} s` }),
          timeoutMs,
        );
      });
      let status: Awaited<ReturnType<Fleet['status']>>;
      try {
        status = await Promise.race([fleet.status(), timeout]);
      } catch (error) {
        status = { connected: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
      if (!status.connected) return disconnected(status.error);
      return {
        enabled: true,
        redisUrl,
        connected: true,
        error: null,
        // Field by field: a heartbeat may carry more than the renderer is meant to see.
        workers: status.workers.map((w) => ({
          id: w.id,
          host: w.host,
          pid: w.pid,
          concurrency: w.concurrency,
          active: w.active,
          processed: w.processed,
          startedAt: w.startedAt,
          draining: w.draining,
        })),
        queue: { waiting: status.queue.waiting, active: status.queue.active, delayed: status.queue.delayed },
        waitMs: { p50: status.waitMs.p50, p95: status.waitMs.p95, samples: status.waitMs.samples },
        deadLetters: status.deadLetters,
        completed: status.completed,
      };
    },
  };
}
