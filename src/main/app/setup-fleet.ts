import { createFleet, type Fleet } from '../fleet/index.js';
import type { Closing } from './steps.js';

/** Where fleet workers reach this control room and the missions' repositories. */
export interface FleetConfig {
  redisUrl: string;
  host?: string | undefined;
  advertiseUrl?: string | undefined;
  repoUrl?: string | undefined;
}

/**
 * The fleet (BullMQ on Redis) when one is configured, else null: every turn then runs in
 * this process. It connects in the background, so a Redis that does not answer never
 * delays the start. Workers on other machines need the fleet API on a reachable interface
 * and a git URL of the repository (flags or environment); on one machine the defaults do.
 */
export function setupFleet(options: {
  fleet?: FleetConfig | undefined;
  env: NodeJS.ProcessEnv;
  logError?: ((what: string, error: unknown) => void) | undefined;
}): { fleet: Fleet | null; config: FleetConfig | null } & Closing {
  const config = options.fleet
    ? {
        ...options.fleet,
        host: options.fleet.host ?? options.env.CONTROL_ROOM_FLEET_HOST,
        advertiseUrl: options.fleet.advertiseUrl ?? options.env.CONTROL_ROOM_FLEET_URL,
        repoUrl: options.fleet.repoUrl ?? options.env.CONTROL_ROOM_FLEET_REPO_URL,
      }
    : null;
  const fleet = config
    ? createFleet({
        redisUrl: config.redisUrl,
        ...(config.host ? { host: config.host } : {}),
        ...(config.advertiseUrl ? { advertiseUrl: config.advertiseUrl } : {}),
        ...(options.logError ? { logError: options.logError } : {}),
      })
    : null;
  return {
    fleet,
    config,
    close: () => void fleet?.close(),
    shutdown: async () => {
      await fleet?.close();
    },
  };
}
