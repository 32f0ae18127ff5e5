import type { AgentView } from '../../../../src/shared/mission.js';
import { idleSeconds } from '../../domain/agent-query.js';
import { AGENT_STATE_LABELS, BUSY_AGENT_STATES } from '../../domain/labels.js';
import { formatAgo, formatDuration } from '../../lib/format.js';
import { StateBadge } from '../missions/state-badge.js';
import { useNow } from '../missions/use-now.js';

export function AgentStateBadge({ agent }: { agent: Pick<AgentView, 'state' | 'stateReason'> }) {
  const state = AGENT_STATE_LABELS[agent.state];
  return (
    <span title={agent.stateReason ?? undefined}>
      <StateBadge label={state.label} tone={state.tone} pulse={BUSY_AGENT_STATES.includes(agent.state)} />
    </span>
  );
}

/** Idle time, ticking every second while the agent is idle. */
export function IdleTime({ agent }: { agent: Pick<AgentView, 'state' | 'lastActivityAt'> }) {
  const now = useNow();
  const idle = idleSeconds(agent, now);
  if (idle === null) return <span className="muted">—</span>;
  return <span className={idle >= 60 ? 'idle-long' : undefined}>{formatDuration(idle)}</span>;
}

// toLocaleString's format, built once: each call of toLocaleString builds a formatter anew.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

function formatDateTime(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : dateTime.format(at);
}

export function LastActivity({ at }: { at: string }) {
  const now = useNow();
  return (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatAgo(at, now)}
    </time>
  );
}
