import { memo, useCallback, useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AGENT_STATES, type AgentView } from '../../../../src/shared/mission.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { AGENT_ROLES } from '../../../../src/shared/team.js';
import { agentTotals, EMPTY_AGENT_QUERY, type AgentQuery } from '../../domain/agent-query.js';
import { killAgentText, killIdleText } from '../../domain/kill-text.js';
import { AGENT_STATE_LABELS, ROLE_NAMES } from '../../domain/labels.js';
import { entityKey, selectAgentKeys, useStore } from '../../store/index.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';
import '../missions/missions.css';
import { AgentsTeamStatus } from '../missions/team-status.js';
import { AgentDrawer } from './agent-drawer.js';
import { AgentTable } from './agent-table.js';
import { KillDialog } from './kill-dialog.js';
import { labelRepeats } from '../../../../src/shared/team-label.js';

/** Memoised: it has no props, so the page's re-render on every batch does not reach it. */
const Filters = memo(function Filters() {
  const query = useStore((s) => s.agentQuery);
  const setAgentQuery = useStore((s) => s.setAgentQuery);
  const missions = useStore(
    useShallow((s) =>
      Object.keys(s.missionDetails)
        .map((id) => s.missions[id])
        .filter((m) => m !== undefined)
        .map((m) => `${m.id}\u0000${m.name}`),
    ),
  );
  // Keyed by mission and team; a name two missions share says its mission (labelRepeats).
  const teams = useStore(
    useShallow((s) => {
      const scoped = Object.entries(s.missionDetails)
        .filter(([id]) => !query.missionId || id === query.missionId)
        .flatMap(([id, d]) => d.teams.map((t) => ({ key: entityKey(id, t.id), name: t.name, missionName: s.missions[id]?.name ?? id })));
      const labels = labelRepeats(scoped);
      return scoped.map((t) => `${t.key}\u0000${labels.get(t.key) ?? t.name}`);
    }),
  );
  const filtered = JSON.stringify(query) !== JSON.stringify(EMPTY_AGENT_QUERY);
  const pair = (s: string) => s.split('\u0000') as [string, string];
  return (
    <div className="filter-bar" role="search" aria-label="Filter agents">
      <input
        type="search"
        className="input filter-search"
        placeholder="Search name, task, model…"
        aria-label="Search agents"
        value={query.text}
        onChange={(e) => setAgentQuery({ text: e.target.value })}
      />
      <select className="input filter-select" aria-label="Mission" value={query.missionId} onChange={(e) => setAgentQuery({ missionId: e.target.value })}>
        <option value="">All missions</option>
        {missions.map(pair).map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </select>
      <select className="input filter-select" aria-label="Team" value={query.team} onChange={(e) => setAgentQuery({ team: e.target.value })}>
        <option value="">All teams</option>
        {teams.map(pair).map(([key, name]) => (
          <option key={key} value={key}>
            {name}
          </option>
        ))}
      </select>
      <select
        className="input filter-select filter-narrow"
        aria-label="Role"
        value={query.role}
        onChange={(e) => setAgentQuery({ role: e.target.value as AgentQuery['role'] })}
      >
        <option value="">All roles</option>
        {AGENT_ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_NAMES[r]}
          </option>
        ))}
      </select>
      <select
        className="input filter-select filter-narrow"
        aria-label="State"
        value={query.state}
        onChange={(e) => setAgentQuery({ state: e.target.value as AgentQuery['state'] })}
      >
        <option value="">All states</option>
        <option value="live">Still running</option>
        {AGENT_STATES.map((s) => (
          <option key={s} value={s}>
            {AGENT_STATE_LABELS[s].label}
          </option>
        ))}
      </select>
      {filtered ? (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setAgentQuery(EMPTY_AGENT_QUERY)}>
          Clear filters
        </button>
      ) : null}
    </div>
  );
});

type Pending = { kind: 'agent'; agent: AgentView } | { kind: 'idle'; missionId: string | undefined; idle: number; scope: string };

export function AgentsPage() {
  const keys = useStore(selectAgentKeys);
  const status = useStore((s) => s.agentsStatus);
  const error = useStore((s) => s.agentsError);
  const notice = useStore((s) => s.agentNotice);
  const missionFilter = useStore((s) => s.agentQuery.missionId);
  const missionCount = useStore((s) => Object.keys(s.missionDetails).length);
  const totals = useStore(useShallow((s) => agentTotals(s.agents, missionFilter)));
  const missionName = useStore((s) => (missionFilter ? s.missions[missionFilter]?.name : undefined));
  const killing = useStore((s) => s.killing);
  const { loadAgents, killAgent, killIdle, openAgent, dismissAgentNotice, navigate } = useStore(
    useShallow((s) => ({
      loadAgents: s.loadAgents,
      killAgent: s.killAgent,
      killIdle: s.killIdle,
      openAgent: s.openAgent,
      dismissAgentNotice: s.dismissAgentNotice,
      navigate: s.navigate,
    })),
  );
  const [pending, setPending] = useState<Pending | null>(null);
  // Only the task of the agent whose kill is being confirmed: the whole task map changes on every batch.
  const pendingTask = useStore((s) =>
    pending?.kind === 'agent' && pending.agent.currentTaskId
      ? s.tasks[entityKey(pending.agent.missionId, pending.agent.currentTaskId)]
      : undefined,
  );

  useEffect(() => {
    void loadAgents();
  }, [loadAgents]);

  const onOpen = useCallback((agent: AgentView) => openAgent(agent.missionId, agent.id), [openAgent]);
  const onKill = useCallback((agent: AgentView) => setPending({ kind: 'agent', agent }), []);

  const text =
    pending?.kind === 'agent'
      ? killAgentText(pending.agent, pendingTask)
      : pending?.kind === 'idle'
        ? killIdleText(pending.scope, pending.idle)
        : null;
  const busyKey =
    pending?.kind === 'agent' ? entityKey(pending.agent.missionId, pending.agent.id) : pending ? `idle:${pending.missionId ?? '*'}` : '';

  return (
    <div className="page page-wide">
      <PageHeader
        title="Agents"
        subtitle={
          status === 'ready'
            ? `${totals.total} agents${missionName ? ` in ${missionName}` : missionCount > 1 ? ` in ${missionCount} missions` : ''} · ${totals.working} working · ${totals.idle} idle · ${formatUsd(totals.costNanoUsd)} spent`
            : 'Every agent of the missions that are running, live.'
        }
        actions={
          <button
            type="button"
            className="btn btn-danger-ghost"
            disabled={totals.idle === 0}
            onClick={() =>
              setPending({
                kind: 'idle',
                missionId: missionFilter || undefined,
                idle: totals.idle,
                scope: missionName ? `“${missionName}”` : 'every mission',
              })
            }
          >
            Stop idle agents…
          </button>
        }
      />
      <NoticeBar notice={notice} onDismiss={dismissAgentNotice} />

      {status === 'idle' || status === 'loading' ? (
        <div className="card placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading agents…
        </div>
      ) : status === 'error' ? (
        <div className="card inline-error" role="alert">
          <span>Could not load agents: {error}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadAgents()}>
            Try again
          </button>
        </div>
      ) : totals.total === 0 && !missionFilter ? (
        <section className="empty-state" aria-label="No agents">
          <div className="empty-icon" aria-hidden="true">
            ◉
          </div>
          <h3>No agents are running</h3>
          <p>Agents appear here when a mission starts: its leaders, coders and reviewers, with what each is doing and costing.</p>
          <div className="empty-actions">
            <button type="button" className="btn btn-primary" onClick={() => navigate({ area: 'missions' })}>
              Go to Missions
            </button>
          </div>
        </section>
      ) : (
        <>
          <Filters />
          <AgentsTeamStatus />
          {keys.length === 0 ? (
            <div className="card placeholder" role="status">
              No agent matches these filters.
            </div>
          ) : (
            <AgentTable keys={keys} showMission={missionCount > 1 && !missionFilter} onOpen={onOpen} onKill={onKill} />
          )}
        </>
      )}

      <KillDialog
        text={text}
        busy={killing.includes(busyKey)}
        onCancel={() => setPending(null)}
        onConfirm={() => {
          const p = pending;
          if (!p) return;
          const done = p.kind === 'agent' ? killAgent(p.agent.missionId, p.agent.id) : killIdle(p.missionId);
          void done.then(() => setPending(null));
        }}
      />
      <AgentDrawer />
    </div>
  );
}
