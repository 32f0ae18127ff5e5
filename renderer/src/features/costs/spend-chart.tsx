import { useMemo, useState } from 'react';
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CostsDashboard } from '../../../../src/shared/costs.js';
import { formatUsd, NANO_PER_USD } from '../../../../src/shared/money.js';
import {
  chartPoints,
  formatClock,
  seriesColors,
  teamLabel,
  windowSpendNano,
  type ChartMode,
} from '../../domain/costs-model.js';

const axisUsd = (usd: number) =>
  usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;

const MODES: { id: ChartMode; label: string }[] = [
  { id: 'cumulative', label: 'Cumulative' },
  { id: 'per-minute', label: 'Per minute' },
];

/**
 * Spend over the window, one band per team: accumulated (how the total grew) or per
 * minute (so a team that starts burning stands out).
 */
export function SpendChart({ costs }: { costs: CostsDashboard }) {
  const [mode, setMode] = useState<ChartMode>('cumulative');
  const data = useMemo(() => chartPoints(costs, mode), [costs, mode]);
  const teams = costs.seriesTeams;
  const colors = useMemo(() => seriesColors(teams), [teams]);
  return (
    <section className="card costs-chart-card" aria-labelledby="spend-chart-title">
      <div className="card-head">
        <div>
          <h3 className="card-title" id="spend-chart-title">
            Spend over time, by team
          </h3>
          <span className="card-meta">{formatUsd(windowSpendNano(costs))} in the window</span>
        </div>
        <div className="chart-modes" role="group" aria-label="Chart">
          {MODES.map((m) => (
            <button
              key={m.id}
              type="button"
              className={`chart-mode${mode === m.id ? ' chart-mode-on' : ''}`}
              aria-pressed={mode === m.id}
              onClick={() => setMode(m.id)}
            >
              {m.label}
            </button>
          ))}
        </div>
      </div>
      <div className="costs-chart" role="img" aria-label={chartSummary(costs, mode)}>
        <ResponsiveContainer width="100%" height={240}>
          <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 4 }}>
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis
              dataKey="minute"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatClock}
              minTickGap={40}
              tickLine={false}
            />
            <YAxis tickFormatter={axisUsd} width={64} tickLine={false} axisLine={false} />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(minute) => formatClock(Number(minute))}
              formatter={(value, key) => [
                formatUsd(Math.round(Number(value) * NANO_PER_USD)),
                teamLabel(String(key), costs.names),
              ]}
            />
            {teams.map((key) => (
              <Area
                key={key}
                type={mode === 'cumulative' ? 'monotone' : 'step'}
                dataKey={key}
                name={key}
                stackId="spend"
                stroke={colors[key]}
                fill={colors[key]}
                fillOpacity={0.35}
                strokeWidth={1.5}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      </div>
      {teams.length > 0 ? (
        <ul className="chart-legend" aria-label="Teams">
          {teams.map((key) => (
            <li key={key}>
              <span className="legend-swatch" style={{ background: colors[key] }} aria-hidden="true" />
              {teamLabel(key, costs.names)}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted chart-note">No spend in this window.</p>
      )}
    </section>
  );
}

function chartSummary(costs: CostsDashboard, mode: ChartMode): string {
  const total = formatUsd(windowSpendNano(costs));
  const shape = mode === 'cumulative' ? 'Spend accumulated' : 'Spend per minute';
  return `${shape} over the last ${costs.windowMinutes} minutes, stacked by team: ${total} in total.`;
}
