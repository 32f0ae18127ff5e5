import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef } from 'react';
import type { AgentView } from '../../../../src/shared/mission.js';
import { findModel } from '../../../../src/shared/models.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { isLive, type AgentSortKey } from '../../domain/agent-query.js';
import { ROLE_NAMES } from '../../domain/labels.js';
import { formatTokens } from '../../lib/format.js';
import { entityKey, useStore } from '../../store/index.js';
import { AgentStateBadge, IdleTime, LastActivity } from './agent-cells.js';

const ROW_HEIGHT = 48;
const HEADER_HEIGHT = 38;

interface Column {
  key: AgentSortKey | null;
  label: string;
  className?: string;
}

const COLUMNS: Column[] = [
  { key: 'name', label: 'Agent' },
  { key: 'team', label: 'Team' },
  { key: 'role', label: 'Role' },
  { key: 'model', label: 'Model' },
  { key: 'state', label: 'State' },
  { key: 'task', label: 'Current task' },
  { key: 'inputTokens', label: 'In', className: 'vnum' },
  { key: 'outputTokens', label: 'Out', className: 'vnum' },
  { key: 'cost', label: 'Cost', className: 'vnum' },
  { key: 'lastActivity', label: 'Last active' },
  { key: 'idle', label: 'Idle', className: 'vnum' },
  { key: null, label: 'Actions' },
];

/** "claude-sonnet-4-6" → "Sonnet 4.6": the family and version are what people compare. */
function shortModel(id: string): string {
  return findModel(id)?.label.replace(/^Claude /, '') ?? id;
}

function SortHeader({ column }: { column: Column }) {
  const sort = useStore((s) => s.agentSort);
  const sortAgents = useStore((s) => s.sortAgents);
  if (!column.key) {
    return (
      <div role="columnheader" className="vcell vhead">
        <span className="visually-hidden">{column.label}</span>
      </div>
    );
  }
  const key = column.key;
  const active = sort.key === key;
  return (
    <div
      role="columnheader"
      className={`vcell vhead ${column.className ?? ''}`}
      aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className={`agent-sort${active ? ' agent-sort-active' : ''}`} onClick={() => sortAgents(key)}>
        {column.label}
        <span className="agent-sort-arrow" aria-hidden="true">
          {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </div>
  );
}

interface RowProps {
  agentKey: string;
  index: number;
  top: number;
  showMission: boolean;
  onOpen(agent: AgentView): void;
  onKill(agent: AgentView): void;
}

/** One row; it subscribes to its own agent, so a busy agent re-renders only itself. */
const AgentRow = memo(function AgentRow({ agentKey, index, top, showMission, onOpen, onKill }: RowProps) {
  const agent = useStore((s) => s.agents[agentKey]);
  const teamName = useStore((s) =>
    agent ? s.missionDetails[agent.missionId]?.teams.find((t) => t.id === agent.teamId)?.name : undefined,
  );
  const missionName = useStore((s) => (agent ? s.missions[agent.missionId]?.name : undefined));
  const task = useStore((s) => (agent?.currentTaskId ? s.tasks[entityKey(agent.missionId, agent.currentTaskId)] : undefined));
  const killing = useStore((s) => s.killing.includes(agentKey));
  const selected = useStore((s) => s.agentDetail !== null && entityKey(s.agentDetail.missionId, s.agentDetail.agentId) === agentKey);
  if (!agent) return null;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`vrow${selected ? ' vrow-selected' : ''}${isLive(agent) ? '' : ' vrow-final'}`}
      style={{ transform: `translateY(${top}px)` }}
      data-state={agent.state}
    >
      <div role="rowheader" className="vcell vcell-name">
        <button type="button" className="link-button cell-ellipsis" onClick={() => onOpen(agent)} title={`Open ${agent.name}`}>
          {agent.name}
        </button>
        {showMission ? <div className="vcell-sub cell-ellipsis">{missionName ?? agent.missionId}</div> : null}
      </div>
      <div role="cell" className="vcell cell-ellipsis" title={teamName}>
        {teamName ?? <span className="muted">…</span>}
      </div>
      <div role="cell" className="vcell">
        <span className={`agent-role role-${agent.role}`}>{ROLE_NAMES[agent.role]}</span>
      </div>
      <div role="cell" className="vcell cell-ellipsis" title={agent.model}>
        {shortModel(agent.model)}
      </div>
      <div role="cell" className="vcell">
        <AgentStateBadge agent={agent} />
      </div>
      <div role="cell" className="vcell cell-ellipsis" title={task ? `${task.key}: ${task.title}` : undefined}>
        {task ? (
          <>
            <span className="mono-small">{task.key}</span> {task.title}
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </div>
      <div role="cell" className="vcell vnum">
        {formatTokens(agent.inputTokens)}
      </div>
      <div role="cell" className="vcell vnum">
        {formatTokens(agent.outputTokens)}
      </div>
      <div role="cell" className="vcell vnum">
        {formatUsd(agent.costNanoUsd)}
      </div>
      <div role="cell" className="vcell cell-ellipsis">
        <LastActivity at={agent.lastActivityAt} />
      </div>
      <div role="cell" className="vcell vnum">
        <IdleTime agent={agent} />
      </div>
      <div role="cell" className="vcell vcell-actions">
        {isLive(agent) ? (
          <button
            type="button"
            className="btn btn-small btn-danger-ghost"
            aria-label={`Kill ${agent.name}`}
            disabled={killing}
            onClick={() => onKill(agent)}
          >
            Kill
          </button>
        ) : null}
      </div>
    </div>
  );
});

/**
 * The agents table, virtualized: only the rows in view (plus a few) are in the DOM, so
 * a thousand agents scroll as smoothly as ten. ARIA table roles keep it a table for
 * screen readers and role-based tests, with aria-rowcount/rowindex for the hidden rows.
 */
export function AgentTable({
  keys,
  showMission,
  onOpen,
  onKill,
}: {
  keys: string[];
  showMission: boolean;
  onOpen(agent: AgentView): void;
  onKill(agent: AgentView): void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const query = useStore((s) => s.agentQuery);
  const sort = useStore((s) => s.agentSort);
  // A new filter or order is a new list: start it from the top, not mid-way down.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [query, sort]);
  // No React Compiler runs on this code; the rule's memoization warning does not apply.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: keys.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    scrollMargin: HEADER_HEIGHT,
  });
  return (
    <div className="card vtable-card">
      <div ref={scrollRef} className="vtable-scroll" tabIndex={-1}>
        <div role="table" aria-label="Agents" aria-rowcount={keys.length + 1} className="vtable">
          <div role="rowgroup" className="vtable-head">
            <div role="row" aria-rowindex={1} className="vrow vrow-head">
              {COLUMNS.map((column) => (
                <SortHeader key={column.label} column={column} />
              ))}
            </div>
          </div>
          <div role="rowgroup" className="vtable-body" style={{ height: virtualizer.getTotalSize() }}>
            {/* Keyed by position, not by agent: when a batch re-sorts the list (states change
                often), the rows in view keep their elements and only their text changes, where
                keying by agent would tear down and rebuild every row that moved. */}
            {virtualizer.getVirtualItems().map((item) => (
              <AgentRow
                key={item.index}
                agentKey={keys[item.index]!}
                index={item.index}
                top={item.start - HEADER_HEIGHT}
                showMission={showMission}
                onOpen={onOpen}
                onKill={onKill}
              />
            ))}
          </div>
        </div>
      </div>
    </div>
  );
}
