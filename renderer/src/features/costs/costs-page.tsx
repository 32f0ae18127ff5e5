import { useEffect, useState } from 'react';
import { MAX_DASHBOARD_WINDOW_MINUTES } from '../../../../src/shared/contract/costs.js';
import type { CostsDashboard } from '../../../../src/shared/costs.js';
import { useStore } from '../../store/index.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';
import { AgentSpendTable } from './agent-spend-table.js';
import { AlertsList } from './alerts-list.js';
import { BudgetPanel } from './budget-panel.js';
import { CacheSharePanel } from './cache-share-panel.js';
import { FleetPanel } from './fleet-panel.js';
import { KpiCards } from './kpi-cards.js';
import { LimitsPanel } from './limits-panel.js';
import { ModelBreakdown } from './model-breakdown.js';
import { PerformancePanel } from './performance-panel.js';
import { SpendChart } from './spend-chart.js';
import { TaskSpendTable } from './task-spend-table.js';
import { RoleCostPanel } from './role-cost-panel.js';
import './costs.css';

const WINDOWS = [
  { minutes: 15, label: 'Last 15 minutes' },
  { minutes: 60, label: 'Last hour' },
  { minutes: 360, label: 'Last 6 hours' },
  { minutes: MAX_DASHBOARD_WINDOW_MINUTES, label: 'Last 24 hours' },
];

const updated = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The Costs area: live spend, budgets, rate limits and where the money goes. */
export function CostsPage() {
  const openCosts = useStore((s) => s.openCosts);
  const closeCosts = useStore((s) => s.closeCosts);
  const openFleet = useStore((s) => s.openFleet);
  const closeFleet = useStore((s) => s.closeFleet);
  useEffect(() => {
    openCosts();
    // The fleet has no events (heartbeats and queues live in Redis): it is polled, while this screen shows.
    openFleet();
    return () => {
      closeCosts();
      closeFleet();
    };
  }, [openCosts, closeCosts, openFleet, closeFleet]);

  const costs = useStore((s) => s.costs);
  const status = useStore((s) => s.costsStatus);
  const error = useStore((s) => s.costsError);
  const notice = useStore((s) => s.costsNotice);
  const dismissNotice = useStore((s) => s.dismissCostsNotice);
  const loadCosts = useStore((s) => s.loadCosts);

  return (
    <div className="page costs-page">
      <PageHeader
        title="Costs"
        subtitle={
          costs ? (
            <>
              Live spend, budgets and rate limits · updated{' '}
              <time dateTime={new Date(costs.at).toISOString()}>{updated.format(new Date(costs.at))}</time>
            </>
          ) : (
            'Live spend, budgets and rate limits.'
          )
        }
        actions={<CostsToolbar costs={costs} />}
      />
      <NoticeBar notice={notice} onDismiss={dismissNotice} />
      {costs && error ? (
        <div className="inline-error" role="alert">
          <span>Could not refresh the costs: {error}. Showing the last snapshot.</span>
          <button type="button" className="btn btn-small" onClick={() => void loadCosts()}>
            Retry
          </button>
        </div>
      ) : null}
      {costs ? (
        <Dashboard costs={costs} />
      ) : status === 'error' ? (
        <section className="empty-state" aria-label="Costs could not be loaded">
          <div className="empty-icon costs-error-icon" aria-hidden="true">
            !
          </div>
          <h3>The costs could not be loaded</h3>
          <p>{error}</p>
          <div className="empty-actions">
            <button type="button" className="btn btn-primary" onClick={() => void loadCosts()}>
              Try again
            </button>
          </div>
        </section>
      ) : (
        <div className="placeholder costs-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading costs…
        </div>
      )}
    </div>
  );
}

function CostsToolbar({ costs }: { costs: CostsDashboard | null }) {
  const missionId = useStore((s) => s.costsMissionId);
  const windowMinutes = useStore((s) => s.costsWindowMinutes);
  const setMission = useStore((s) => s.setCostsMission);
  const setWindow = useStore((s) => s.setCostsWindow);
  const exportCalls = useStore((s) => s.exportCalls);
  const exporting = useStore((s) => s.exportingCalls);
  const missions = costs?.missions ?? [];
  // Keep the chosen mission listed while a refresh that does not know it yet is in flight.
  const listed = missionId === '' || missions.some((m) => m.id === missionId);
  return (
    <div className="costs-toolbar">
      <div className="costs-select">
        <label className="costs-select-label" htmlFor="costs-mission">
          Mission
        </label>
        <select
          id="costs-mission"
          className="input"
          value={missionId}
          onChange={(e) => setMission(e.target.value)}
        >
          <option value="">All missions</option>
          {listed ? null : <option value={missionId}>{missionId}</option>}
          {missions.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      <div className="costs-select">
        <label className="costs-select-label" htmlFor="costs-window">
          Window
        </label>
        <select
          id="costs-window"
          className="input"
          value={windowMinutes}
          onChange={(e) => setWindow(Number(e.target.value))}
        >
          {WINDOWS.map((w) => (
            <option key={w.minutes} value={w.minutes}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
      <button
        type="button"
        className="btn"
        onClick={() => void exportCalls()}
        disabled={exporting || !costs}
        title="Download the calls behind this view (mission and window) as CSV"
      >
        {exporting ? <span className="spinner" aria-hidden="true" /> : <span aria-hidden="true">↓</span>}
        Export CSV
      </button>
    </div>
  );
}

function Dashboard({ costs }: { costs: CostsDashboard }) {
  const [focusedPool, setFocusedPool] = useState<string | null>(null);
  const showPool = (pool: string) => {
    setFocusedPool(pool);
    const card = document.getElementById(`pool-${pool}`);
    card?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    card?.focus({ preventScroll: true });
  };
  const empty = costs.totals.calls === 0;
  return (
    <>
      <AlertsList alerts={costs.alerts} missionId={costs.missionId} onShowPool={showPool} />
      <KpiCards costs={costs} />
      {empty ? (
        <section className="empty-state costs-empty" aria-label="No spend yet">
          <div className="empty-icon" aria-hidden="true">
            $
          </div>
          <h3>{costs.missionId ? 'This mission has not spent anything yet' : 'No model calls yet'}</h3>
          <p>
            Every call an agent makes is priced and written to the ledger the moment it ends. Start a mission
            and its spend shows up here live, by team, model and agent.
          </p>
        </section>
      ) : (
        <div className="costs-grid">
          <SpendChart costs={costs} />
          <BudgetPanel budgets={costs.budgets} filtered={costs.missionId !== null} />
        </div>
      )}
      <LimitsPanel alerts={costs.alerts} focusedPool={focusedPool} />
      <FleetPanel />
      {empty ? null : (
        <>
          <PerformancePanel costs={costs} />
          <ModelBreakdown rows={costs.breakdowns.model} />
          <AgentSpendTable costs={costs} />
          <TaskSpendTable missionId={costs.missionId} />
          <RoleCostPanel missionId={costs.missionId} />
          <CacheSharePanel missionId={costs.missionId} />
        </>
      )}
    </>
  );
}
