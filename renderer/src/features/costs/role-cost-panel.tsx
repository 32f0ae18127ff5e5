import { useEffect } from 'react';
import { formatUsd } from '../../../../src/shared/money.js';
import type { RoleCostRow } from '../../../../src/shared/role-costs.js';
import { formatCount } from '../../domain/costs-model.js';
import { ROLE_LABELS } from '../../domain/design-form.js';
import { useStore } from '../../store/index.js';
import { shortModel } from '../teams/agent-row.js';

/** The figures change only as missions do: read again at most this often while the screen is open. */
const REFRESH_MS = 30_000;

const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

/**
 * "/cost per role": spend, tokens and cost per merged task by role and model
 * (`costs:by-role`), with how each role's submissions fared at review, for the mission
 * the Costs screen shows or the recent missions together.
 */
export function RoleCostPanel({ missionId }: { missionId: string | null }) {
  const key = missionId ?? '';
  const entry = useStore((s) => s.roleCosts[key]);
  const load = useStore((s) => s.loadRoleCosts);
  useEffect(() => {
    void load(missionId);
    const timer = setInterval(() => void load(missionId), REFRESH_MS);
    return () => clearInterval(timer);
  }, [missionId, load]);

  return (
    <section className="card table-card" aria-labelledby="role-cost-title">
      <div className="card-head card-head-padded">
        <h3 className="card-title" id="role-cost-title">
          By role
        </h3>
        <span className="card-meta">{missionId ? 'this mission' : 'recent missions'} · all time</span>
      </div>
      {entry?.data ? (
        entry.data.length > 0 ? (
          <RoleCostTable rows={entry.data} />
        ) : (
          <p className="muted card-head-padded">No agent has made a call yet.</p>
        )
      ) : entry?.status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not read the cost per role: {entry.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void load(missionId)}>
            Retry
          </button>
        </div>
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Reading the cost per role…
        </div>
      )}
    </section>
  );
}

/** One row per role and model, dearest first. */
export function RoleCostTable({ rows }: { rows: readonly RoleCostRow[] }) {
  return (
    <div className="table-scroll">
      <table className="table costs-table" aria-label="Cost by role and model">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col" className="num">
              Agents
            </th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num" title="Fresh input + cache reads + cache writes">
              Input
            </th>
            <th scope="col" className="num">
              Output
            </th>
            <th scope="col" className="num">
              Spend
            </th>
            <th scope="col" className="num">
              Merged
            </th>
            <th scope="col" className="num">
              Per merged task
            </th>
            <th scope="col" className="num" title="First-review approval: tasks approved at their first review, of those reviewed">
              First review
            </th>
            <th scope="col" className="num" title="Rework: the share of submissions their review sent back">
              Rework
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.role}/${r.model}`} data-testid="role-cost-row">
              <th scope="row" className="nowrap">
                {ROLE_LABELS[r.role]} · {shortModel(r.model)}
              </th>
              <td className="num">{r.agents.toLocaleString('en-US')}</td>
              <td className="num">{r.calls.toLocaleString('en-US')}</td>
              <td className="num">
                {formatCount(r.inputTokens)} + {formatCount(r.cacheReadTokens)} + {formatCount(r.cacheWriteTokens)}
              </td>
              <td className="num">{formatCount(r.outputTokens)}</td>
              <td className="num">{formatUsd(r.spendNano)}</td>
              <td className="num">{r.mergedTasks.toLocaleString('en-US')}</td>
              <td className="num">{r.costPerMergedTaskNano === null ? '—' : formatUsd(r.costPerMergedTaskNano)}</td>
              <td className="num">
                {pct(r.firstReviewApprovalRate)}
                {r.reviewedTasks > 0 ? <span className="muted"> of {r.reviewedTasks}</span> : null}
              </td>
              <td className="num">{pct(r.reworkRate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
