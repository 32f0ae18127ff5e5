import type Database from 'better-sqlite3';
import type { MeasuredWorkload } from '../../shared/design-estimate.js';
import { AGENT_ROLES, type AgentRole } from '../../shared/team.js';

/**
 * The workload each role did on each model in this ledger's past missions, for the
 * design estimate (`estimateDesign({ measured })`) in place of its assumptions.
 *
 * Definitions (the estimate panel says them in words):
 * - a call is a billed attempt (`ok`, or `partial`: a stream that died after
 *   message_start) of a mission's agent; failed and cancelled attempts billed nothing
 *   (their tokens, if any, still count: they were billed);
 * - role and model are the agent's in its mission (`mission_agents`), so every call an
 *   agent made (compaction included) counts toward the figure the designer prices it at;
 * - an agent-hour is the time from the minute an agent's first call ended to the end of
 *   the minute its last call ended, within one mission: waits between calls included (a
 *   leader waiting on its coders keeps a slower pace than a coder in its loop, and the
 *   estimate should say so), whole minutes because that is what the roll-up keeps;
 * - the figures per call are means over the calls: fresh input, cache reads, cache
 *   writes (5-minute and 1-hour) and output tokens.
 *
 * It reads the `call_totals` roll-up (a row per mission, team, agent and model, with the
 * first and last minute), never the raw calls: a few hundred rows however busy the
 * missions were.
 */

/** The most recent missions the figures are taken from: today's habits, not last year's. */
export const WORKLOAD_MISSIONS = 50;

interface Raw {
  role: string;
  model: string;
  calls: number;
  agents: number;
  span_ms: number;
  input: number;
  cache_read: number;
  write_5m: number;
  write_1h: number;
  output: number;
}

const SQL = `
  WITH recent AS (
    SELECT id FROM missions ORDER BY created_at DESC, id DESC LIMIT @missions
  ),
  per_agent AS (
    SELECT a.role AS role, a.model AS model,
           sum(t.ok_calls + t.partial_calls) AS calls,
           (max(t.last_minute) - min(t.first_minute) + 1) * 60000 AS span_ms,
           sum(t.input_tokens) AS input,
           sum(t.cache_read_tokens) AS cache_read,
           sum(t.cache_creation_5m_tokens) AS write_5m,
           sum(t.cache_creation_1h_tokens) AS write_1h,
           sum(t.output_tokens) AS output
    FROM recent r
    JOIN call_totals t ON t.mission_id = r.id
    JOIN mission_agents a ON a.mission_id = t.mission_id AND a.id = t.agent_id
    GROUP BY t.mission_id, t.agent_id
    HAVING sum(t.ok_calls + t.partial_calls) > 0
  )
  SELECT role, model, sum(calls) AS calls, count(*) AS agents, sum(span_ms) AS span_ms,
         sum(input) AS input, sum(cache_read) AS cache_read, sum(write_5m) AS write_5m,
         sum(write_1h) AS write_1h, sum(output) AS output
  FROM per_agent
  GROUP BY role, model
  ORDER BY role, model`;

/**
 * Per role and model, the workload measured over the last `missions` missions. Every
 * pair with at least one call is listed with the number of calls it rests on; whether
 * that is enough to use is the estimate's decision (`MIN_MEASURED_CALLS`).
 */
export function measuredWorkload(db: Database.Database, missions: number = WORKLOAD_MISSIONS): MeasuredWorkload[] {
  const rows = db.prepare(SQL).all({ missions }) as Raw[];
  return rows
    .filter((r): r is Raw & { role: AgentRole } => (AGENT_ROLES as readonly string[]).includes(r.role))
    .map((r) => {
      const agentHours = r.span_ms / 3_600_000;
      return {
        role: r.role,
        model: r.model,
        calls: r.calls,
        agents: r.agents,
        agentHours,
        callsPerHour: agentHours > 0 ? r.calls / agentHours : 0,
        inputTokensPerCall: r.input / r.calls,
        cachedInputTokensPerCall: r.cache_read / r.calls,
        cacheWrite5mTokensPerCall: r.write_5m / r.calls,
        cacheWrite1hTokensPerCall: r.write_1h / r.calls,
        outputTokensPerCall: r.output / r.calls,
      };
    });
}
