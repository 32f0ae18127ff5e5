import type Database from 'better-sqlite3';
import type { MeasuredWorkload } from '../../shared/design-estimate.js';
import { AGENT_ROLES, type AgentRole } from '../../shared/team.js';

/**
 * The workload each role did on each model in this ledger's past missions, for the
 * design estimate (`estimateDesign({ measured })`) in place of its assumptions.
 *
 * Definitions (the estimate panel says them in words):
 * - a call is a billed attempt (`ok`, or `partial`: a stream that died after
 *   message_start) of a mission's agent; failed and cancelled attempts billed nothing;
 * - role and model are the agent's in its mission (`mission_agents`), so every call an
 *   agent made (compaction included) counts toward the figure the designer prices it at;
 * - an agent-hour is the time from an agent's first call's start to its last call's end
 *   within one mission, waits between calls included (a leader waiting on its coders
 *   keeps a slower pace than a coder in its loop, and the estimate should say so);
 * - the figures per call are means over the calls: fresh input, cache reads, cache
 *   writes (5-minute and 1-hour) and output tokens.
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
           count(*) AS calls,
           max(c.ended_at) - min(c.started_at) AS span_ms,
           sum(c.input_tokens) AS input,
           sum(c.cache_read_tokens) AS cache_read,
           sum(c.cache_creation_5m_tokens) AS write_5m,
           sum(c.cache_creation_1h_tokens) AS write_1h,
           sum(c.output_tokens) AS output
    FROM recent r
    JOIN calls c ON c.mission_id = r.id
    JOIN mission_agents a ON a.mission_id = c.mission_id AND a.id = c.agent_id
    WHERE c.status IN ('ok', 'partial')
    GROUP BY c.mission_id, c.agent_id
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
        // A single instantaneous call has no span: no pace can be read from it.
        callsPerHour: agentHours > 0 ? r.calls / agentHours : 0,
        inputTokensPerCall: r.input / r.calls,
        cachedInputTokensPerCall: r.cache_read / r.calls,
        cacheWrite5mTokensPerCall: r.write_5m / r.calls,
        cacheWrite1hTokensPerCall: r.write_1h / r.calls,
        outputTokensPerCall: r.output / r.calls,
      };
    });
}
