import type { AppInfo } from '../../../shared/contract/app.js';
import type { MissionEngine } from '../../engine/mission-engine.js';
import type { TeamRepository } from '../../ledger/team-repository.js';
import type { MissionPullRequests } from '../../publish/mission-pull-requests.js';
import type { SettingsService } from '../../settings/index.js';
import type { Handlers } from '../dispatch.js';
import type { EventHub } from '../event-hub.js';
import { appHandlers } from './app.js';
import { cacheShareHandlers } from './cache-share.js';
import { roleCostsHandlers } from './role-costs.js';
import { projectMemoryHandlers } from './project-memory.js';
import { costsHandlers, type CostsHandlerDeps } from './costs.js';
import { fleetHandlers, type FleetStatusSource } from './fleet.js';
import { missionsHandlers } from './missions.js';
import { pullRequestsHandlers } from './pull-requests.js';
import { runtimesHandlers, type RuntimesHandlerDeps } from './runtimes.js';
import { settingsHandlers } from './settings.js';
import { teamsHandlers } from './teams.js';
import { velocityHandlers } from './velocity.js';

export interface HandlerDeps {
  info: AppInfo;
  events: EventHub;
  teams: TeamRepository;
  engine: MissionEngine;
  costs: CostsHandlerDeps;
  settings: SettingsService;
  /** Missions' pull requests (`publish/`). */
  pullRequests: MissionPullRequests;
  /** The runtime probes; the real ones when left out. */
  runtimes?: RuntimesHandlerDeps;
  /** The fleet, when turns go to workers on Redis; absent or null when they run in this process. */
  fleet?: FleetStatusSource | null;
}

/** Every command's handler, one object typed over the contract (a missing one won't compile). */
export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...appHandlers(deps.info),
    ...teamsHandlers(deps.teams, deps.events),
    ...missionsHandlers(deps.engine),
    ...costsHandlers(deps.costs),
    ...settingsHandlers(deps.settings),
    ...runtimesHandlers(deps.runtimes),
    ...fleetHandlers(deps.fleet ?? null),
    ...pullRequestsHandlers(deps.pullRequests),
    ...velocityHandlers(deps.costs),
    ...cacheShareHandlers(deps.costs),
    ...roleCostsHandlers(deps.costs),
    ...projectMemoryHandlers(),
  } satisfies Handlers;
}
