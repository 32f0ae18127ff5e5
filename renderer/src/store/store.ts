import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAppSlice } from './app-slice.js';
import { createTeamsSlice } from './teams-slice.js';
import { createMissionsSlice } from './missions-slice.js';
import { createEscalationsSlice } from './escalations-slice.js';
import { createAgentsSlice } from './agents-slice.js';
import { createInboxSlice } from './inbox-slice.js';
import { createSettingsSlice } from './settings-slice.js';
import { createCostsSlice } from './costs-slice.js';
import { createMissionLogSlice } from './mission-log-slice.js';
import { createMissionResultSlice } from './mission-result-slice.js';
import { createRuntimesSlice } from './runtimes-slice.js';
import { createFleetSlice } from './fleet-slice.js';
import { createSteeringSlice } from './steering-slice.js';
import { createTeamStatusSlice } from './team-status-slice.js';
import { createLedgerInsightsSlice } from './ledger-insights-slice.js';
import { createCacheShareSlice } from './cache-share-slice.js';
import { createPullRequestsSlice } from './pull-requests-slice.js';
import { createCleanupSlice } from './cleanup-slice.js';
import { createReviewsSlice } from './reviews-slice.js';
import type { StoreState } from './state.js';
import type { StoreDeps } from './types.js';

export type ControlRoomStore = StoreApi<StoreState>;

/**
 * The window's one store, built from typed slices. Its actions are the only code that
 * talks to the engine; components read snapshots and call actions.
 */
export function createControlRoomStore(deps: StoreDeps): ControlRoomStore {
  return createStore<StoreState>()((...args) => ({
    ...createAppSlice(deps)(...args),
    ...createTeamsSlice(deps)(...args),
    ...createMissionsSlice(deps)(...args),
    ...createEscalationsSlice(deps)(...args),
    ...createAgentsSlice(deps)(...args),
    ...createInboxSlice(deps)(...args),
    ...createSettingsSlice(deps)(...args),
    ...createCostsSlice()(deps)(...args),
    ...createMissionLogSlice()(deps)(...args),
    ...createMissionResultSlice(deps)(...args),
    ...createRuntimesSlice(deps)(...args),
    ...createFleetSlice()(deps)(...args),
    ...createSteeringSlice(deps)(...args),
    ...createTeamStatusSlice()(deps)(...args),
    ...createLedgerInsightsSlice(deps)(...args),
    ...createCacheShareSlice()(deps)(...args),
    ...createPullRequestsSlice(deps)(...args),
    ...createCleanupSlice(deps)(...args),
    ...createReviewsSlice(deps)(...args),
  }));
}
