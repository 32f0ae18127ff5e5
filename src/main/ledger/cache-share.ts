import type Database from 'better-sqlite3';
import {
  MAX_CACHE_SHARE_AGENTS,
  readShare,
  type CacheShare,
  type CacheShareAgentRow,
  type CacheShareModelRow,
  type CacheTokens,
} from '../../shared/cache-share.js';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';

type Sums = Omit<CacheTokens, 'readShare'>;
const withShare = <T extends Sums>(row: T): T & CacheTokens => ({ ...row, readShare: readShare(row) });

const SUMS = `sum(ct.input_tokens) AS inputTokens,
              sum(ct.cache_creation_5m_tokens) AS cacheWrite5mTokens,
              sum(ct.cache_creation_1h_tokens) AS cacheWrite1hTokens,
              sum(ct.cache_read_tokens) AS cacheReadTokens,
              sum(ct.calls) AS calls`;

/**
 * The cache-read share of input per agent and per model (`costs:cache-share`), all time,
 * for one mission or all of them. Read from the `call_totals` roll-up, which triggers keep
 * equal to the raw `calls` rows, so it costs one row per agent and model however many calls
 * there were. Calls outside any mission (`mission_id` '') count in the totals and by model
 * only when no mission is chosen.
 */
export function cacheShare(db: Database.Database, missionId?: string): CacheShare {
  if (missionId !== undefined && !db.prepare('SELECT 1 FROM missions WHERE id = ?').get(missionId)) {
    throw new AppError('not_found', `no mission ${quote(missionId)}`);
  }
  const where = missionId === undefined ? '' : 'WHERE ct.mission_id = @missionId';
  const params = missionId === undefined ? {} : { missionId };
  const byModel = (
    db.prepare(`SELECT ct.model AS model, ${SUMS} FROM call_totals ct ${where} GROUP BY ct.model ORDER BY ct.model`).all(params) as Array<
      Sums & { model: string; calls: number }
    >
  ).map((r): CacheShareModelRow => withShare(r));
  const agentsWhere = missionId === undefined ? "WHERE ct.agent_id <> ''" : `${where} AND ct.agent_id <> ''`;
  const agentCount = db
    .prepare(`SELECT count(*) FROM (SELECT 1 FROM call_totals ct ${agentsWhere} GROUP BY ct.mission_id, ct.agent_id, ct.model)`)
    .pluck()
    .get(params) as number;
  const byAgent = (
    db
      .prepare(
        `SELECT ct.mission_id AS missionId, ct.agent_id AS agentId, coalesce(a.name, ct.agent_id) AS agentName,
                a.role AS role, ct.model AS model, ${SUMS}
           FROM call_totals ct
           LEFT JOIN mission_agents a ON a.mission_id = ct.mission_id AND a.id = ct.agent_id
           ${agentsWhere}
          GROUP BY ct.mission_id, ct.agent_id, ct.model
          ORDER BY inputTokens + cacheWrite5mTokens + cacheWrite1hTokens + cacheReadTokens DESC, agentName, ct.model
          LIMIT ${MAX_CACHE_SHARE_AGENTS}`,
      )
      .all(params) as Array<Omit<CacheShareAgentRow, 'readShare'>>
  ).map((r): CacheShareAgentRow => withShare(r));
  const total = byModel.reduce<Sums>(
    (t, r) => ({
      inputTokens: t.inputTokens + r.inputTokens,
      cacheWrite5mTokens: t.cacheWrite5mTokens + r.cacheWrite5mTokens,
      cacheWrite1hTokens: t.cacheWrite1hTokens + r.cacheWrite1hTokens,
      cacheReadTokens: t.cacheReadTokens + r.cacheReadTokens,
    }),
    { inputTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 },
  );
  return {
    missionId: missionId ?? null,
    total: withShare(total),
    byModel,
    byAgent,
    agentsLeftOut: Math.max(0, agentCount - byAgent.length),
  };
}
