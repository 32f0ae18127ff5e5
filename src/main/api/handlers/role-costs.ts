import type Database from 'better-sqlite3';
import { roleCosts } from '../../ledger/role-costs.js';
import { measuredWorkload } from '../../ledger/workload.js';
import type { Handlers } from '../dispatch.js';

/**
 * "/cost per role" (`costs:by-role`) and the measured workload the design estimate uses
 * (`costs:get-workload`); both read-only queries of the ledger.
 */
export function roleCostsHandlers(deps: { db: Database.Database }): Pick<Handlers, 'costs:by-role' | 'costs:get-workload'> {
  return {
    'costs:by-role': ({ missionId }) => roleCosts(deps.db, missionId !== undefined ? { missionId } : {}),
    'costs:get-workload': () => measuredWorkload(deps.db),
  };
}
