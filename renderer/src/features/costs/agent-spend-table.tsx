import { useMemo, useState } from 'react';
import type { CostsDashboard } from '../../../../src/shared/costs.js';
import { formatUsd } from '../../../../src/shared/money.js';
import {
  agentRows,
  DEFAULT_AGENT_SORT,
  formatCount,
  formatPercent,
  nextSort,
  sortAgentRows,
  type AgentSort,
  type AgentSortKey,
} from '../../domain/costs-model.js';

const COLUMNS: { key: AgentSortKey; label: string; numeric: boolean }[] = [
  { key: 'name', label: 'Agent', numeric: false },
  { key: 'team', label: 'Team', numeric: false },
  { key: 'model', label: 'Model', numeric: false },
  { key: 'calls', label: 'Calls', numeric: true },
  { key: 'errors', label: 'Errors', numeric: true },
  { key: 'inputTokens', label: 'Input', numeric: true },
  { key: 'outputTokens', label: 'Output', numeric: true },
  { key: 'cacheTokens', label: 'Cache', numeric: true },
  { key: 'costNano', label: 'Cost', numeric: true },
];

/** Spend per agent, sortable by any column (dearest first to start with). */
export function AgentSpendTable({ costs }: { costs: CostsDashboard }) {
  const [sort, setSort] = useState<AgentSort>(DEFAULT_AGENT_SORT);
  const rows = useMemo(
    () => sortAgentRows(agentRows(costs.breakdowns.agent, costs.names, costs.totals.costTotalNano), sort),
    [costs, sort],
  );
  return (
    <section className="card table-card" aria-labelledby="agents-spend-title">
      <div className="card-head card-head-padded">
        <h3 className="card-title" id="agents-spend-title">
          By agent
        </h3>
        <span className="card-meta">{rows.length.toLocaleString('en-US')} agents · all time</span>
      </div>
      <div className="table-scroll">
        <table className="table costs-table" aria-label="Cost by agent">
          <thead>
            <tr>
              {COLUMNS.map((c) => {
                const active = sort.key === c.key;
                return (
                  <th
                    key={c.key}
                    scope="col"
                    className={c.numeric ? 'num' : undefined}
                    aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                  >
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => setSort(nextSort(sort, c.key))}
                    >
                      {c.label}
                      <span className="sort-mark" aria-hidden="true">
                        {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">
                  <span className="agent-name">{r.name}</span>
                  {r.role ? <span className={`role-tag role-${r.role}`}>{r.role}</span> : null}
                </th>
                <td>{r.team}</td>
                <td className="nowrap">{r.model}</td>
                <td className="num">{r.calls.toLocaleString('en-US')}</td>
                <td className={`num${r.errors > 0 ? ' tone-warn' : ''}`}>{r.errors}</td>
                <td className="num">{formatCount(r.inputTokens)}</td>
                <td className="num">{formatCount(r.outputTokens)}</td>
                <td className="num">{formatCount(r.cacheTokens)}</td>
                <td className="num">
                  <span className="cell-main strong">{formatUsd(r.costNano)}</span>
                  <span className="cell-sub">{formatPercent(r.share)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
