import type Database from 'better-sqlite3';
import { taskSpend } from '../../ledger/task-spend.js';
import { teamStatus } from '../../ledger/velocity.js';
import type { Handlers } from '../dispatch.js';

type VelocityHandlers = Pick<Handlers, 'missions:get-team-status' | 'costs:by-task'>;

export interface VelocityHandlerDeps {
  db: Database.Database;
  /** Wall-clock epoch ms (tests pin it). */
  now?: () => number;
}

/**
 * Read-only figures measured from the ledger: each team's status and velocity for the
 * mission page and the Agents screen, and a mission's spend per task for the Costs screen.
 */
export function velocityHandlers(deps: VelocityHandlerDeps): VelocityHandlers {
  const now = deps.now ?? Date.now;
  return {
    'missions:get-team-status': ({ missionId }) => teamStatus(deps.db, missionId, now()),
    'costs:by-task': ({ missionId }) => taskSpend(deps.db, missionId),
  };
}
