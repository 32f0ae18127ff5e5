import { useEffect, useMemo, useState } from 'react';
import type { MissionLogActor, MissionLogEntry, MissionLogKind } from '../../../../src/shared/mission.js';
import { useStore } from '../../store/index.js';

/** Rows drawn at first; a long mission's log grows by thousands and the newest matter most. */
const FIRST_ROWS = 200;
const MORE_ROWS = 500;

// Seconds matter here: a kill and the task it returns to ready happen moments apart.
const logTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

function formatLogTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : logTime.format(date);
}

const ACTORS: Record<MissionLogActor, { label: string; badge: string }> = {
  human: { label: 'You', badge: 'badge-accent' },
  leader: { label: 'Leader', badge: 'badge-success' },
  agent: { label: 'Agent', badge: '' },
  engine: { label: 'Engine', badge: '' },
};

const KINDS: Record<MissionLogKind, string> = {
  mission: 'Mission',
  agent: 'Agent',
  task: 'Task',
  escalation: 'Escalation',
  decision: 'Decision',
  note: 'Note',
};

function LogRow({ row }: { row: MissionLogEntry }) {
  const actor = ACTORS[row.actor];
  return (
    <tr className={row.actor === 'human' ? 'log-row-human' : undefined}>
      <td className="nowrap muted">
        <time dateTime={row.at}>{formatLogTime(row.at)}</time>
      </td>
      <td>
        <span className={`badge ${actor.badge}`}>{actor.label}</span>
      </td>
      <td className="log-subject">
        <span className="muted">{KINDS[row.kind]} · </span>
        <span title={row.subjectId}>{row.subjectName}</span>
      </td>
      <td>{row.summary}</td>
    </tr>
  );
}

/**
 * The mission's ledger log, newest first: every state change, escalation and decision,
 * with who made it. Loaded when opened; follows the mission's events while open.
 */
export function ActivityLog({ missionId }: { missionId: string }) {
  const log = useStore((s) => s.missionLogs[missionId]);
  const openLog = useStore((s) => s.openMissionLog);
  const closeLog = useStore((s) => s.closeMissionLog);
  const reload = useStore((s) => s.loadMissionLog);
  const [shown, setShown] = useState(FIRST_ROWS);

  useEffect(() => {
    openLog(missionId);
    return () => closeLog(missionId);
  }, [missionId, openLog, closeLog]);

  const rows = log?.rows;
  const newestFirst = useMemo(() => (rows ? rows.slice(-shown).reverse() : []), [rows, shown]);

  if (!log || (log.status === 'loading' && log.rows.length === 0)) {
    return (
      <div className="card placeholder" role="status">
        <span className="spinner" aria-hidden="true" /> Loading the log…
      </div>
    );
  }
  if (log.status === 'error' && log.rows.length === 0) {
    return (
      <div className="card inline-error" role="alert">
        <span>Could not load the log: {log.error}</span>
        <button type="button" className="btn btn-small" onClick={() => void reload(missionId)}>
          Try again
        </button>
      </div>
    );
  }
  if (log.rows.length === 0) {
    return <div className="card placeholder">Nothing has happened in this mission yet.</div>;
  }
  return (
    <div className="card table-card">
      {log.status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>The log stopped updating: {log.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void reload(missionId)}>
            Try again
          </button>
        </div>
      ) : null}
      <div className="log-scroll">
        <table className="table log-table" aria-label="Mission log">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Subject</th>
              <th scope="col">What happened</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst.map((row) => (
              <LogRow key={row.id} row={row} />
            ))}
          </tbody>
        </table>
      </div>
      {log.rows.length > shown ? (
        <div className="log-more">
          <button type="button" className="btn btn-small" onClick={() => setShown((n) => n + MORE_ROWS)}>
            Show older rows ({(log.rows.length - shown).toLocaleString('en-US')} more)
          </button>
        </div>
      ) : null}
    </div>
  );
}
