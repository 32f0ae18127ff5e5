import type Database from 'better-sqlite3';
import { cacheShare } from '../../ledger/cache-share.js';
import type { Handlers } from '../dispatch.js';

/** The Costs screen's cache-read share per agent and model (`costs:cache-share`); read-only. */
export function cacheShareHandlers(deps: { db: Database.Database }): Pick<Handlers, 'costs:cache-share'> {
  return {
    'costs:cache-share': ({ missionId }) => cacheShare(deps.db, missionId),
  };
}
