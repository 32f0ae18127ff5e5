import { useMemo } from 'react';
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { BreakdownRow } from '../../../../src/shared/costs.js';
import { formatUsd, nanoToUsd, NANO_PER_USD } from '../../../../src/shared/money.js';
import { formatCount, modelLabel } from '../../domain/costs-model.js';

const PARTS = [
  { key: 'input', label: 'Input', color: '#4c6ef5' },
  { key: 'output', label: 'Output', color: '#12b886' },
  { key: 'cacheWrite', label: 'Cache writes', color: '#f59f00' },
  { key: 'cacheRead', label: 'Cache reads', color: '#be4bdb' },
] as const;

/** Where the money goes per model, cache reads and writes included (they are priced apart). */
export function ModelBreakdown({ rows }: { rows: readonly BreakdownRow[] }) {
  const data = useMemo(
    () =>
      rows.map((r) => ({
        model: modelLabel(r.key),
        input: nanoToUsd(r.costInputNano),
        output: nanoToUsd(r.costOutputNano),
        cacheWrite: nanoToUsd(r.costCacheWriteNano),
        cacheRead: nanoToUsd(r.costCacheReadNano),
      })),
    [rows],
  );
  const total = rows.reduce((s, r) => s + r.costTotalNano, 0);
  return (
    <section className="card table-card model-card" aria-labelledby="models-title">
      <div className="card-head card-head-padded">
        <h3 className="card-title" id="models-title">
          By model
        </h3>
        <ul className="chart-legend chart-legend-inline" aria-label="Cost parts">
          {PARTS.map((p) => (
            <li key={p.key}>
              <span className="legend-swatch" style={{ background: p.color }} aria-hidden="true" />
              {p.label}
            </li>
          ))}
        </ul>
      </div>
      <div
        className="model-chart"
        role="img"
        aria-label="Cost per model, split into input, output, cache writes and cache reads"
      >
        <ResponsiveContainer width="100%" height={Math.max(80, rows.length * 36 + 28)}>
          <BarChart
            data={data}
            layout="vertical"
            margin={{ top: 4, right: 24, bottom: 4, left: 8 }}
            barCategoryGap={8}
          >
            <XAxis type="number" tickFormatter={(v: number) => `$${v.toFixed(2)}`} tickLine={false} />
            <YAxis type="category" dataKey="model" width={140} tickLine={false} axisLine={false} />
            <Tooltip
              isAnimationActive={false}
              cursor={{ fillOpacity: 0.08 }}
              formatter={(value, key) => [
                formatUsd(Math.round(Number(value) * NANO_PER_USD)),
                PARTS.find((p) => p.key === key)?.label ?? String(key),
              ]}
            />
            {PARTS.map((p) => (
              <Bar key={p.key} dataKey={p.key} stackId="cost" fill={p.color} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table className="table costs-table" aria-label="Cost by model">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Input
            </th>
            <th scope="col" className="num">
              Output
            </th>
            <th scope="col" className="num">
              Cache writes
            </th>
            <th scope="col" className="num">
              Cache reads
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key ?? '(unknown)'}>
              <th scope="row">{modelLabel(r.key)}</th>
              <td className="num">{r.calls.toLocaleString('en-US')}</td>
              <TokenCell tokens={r.inputTokens} nano={r.costInputNano} />
              <TokenCell tokens={r.outputTokens} nano={r.costOutputNano} />
              <TokenCell
                tokens={r.cacheCreation5mTokens + r.cacheCreation1hTokens}
                nano={r.costCacheWriteNano}
              />
              <TokenCell tokens={r.cacheReadTokens} nano={r.costCacheReadNano} />
              <td className="num strong">{formatUsd(r.costTotalNano)}</td>
            </tr>
          ))}
        </tbody>
        {rows.length > 1 ? (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{rows.reduce((s, r) => s + r.calls, 0).toLocaleString('en-US')}</td>
              <td className="num" colSpan={4} />
              <td className="num strong">{formatUsd(total)}</td>
            </tr>
          </tfoot>
        ) : null}
      </table>
    </section>
  );
}

function TokenCell({ tokens, nano }: { tokens: number; nano: number }) {
  return (
    <td className="num">
      <span className="cell-main">{formatCount(tokens)}</span>
      <span className="cell-sub">{formatUsd(nano)}</span>
    </td>
  );
}
