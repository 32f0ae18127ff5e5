import { useEffect } from 'react';
import { formatUsd } from '../../../../src/shared/money.js';
import type { TaskSpend } from '../../../../src/shared/task-spend.js';
import { TASK_STATE_LABELS } from '../../domain/labels.js';
import { formatCount } from '../../domain/costs-model.js';
import { useStore } from '../../store/index.js';

/** Spend per task of the mission the Costs screen shows (`costs:by-task`); a hint for all missions. */
export function TaskSpendTable({ missionId }: { missionId: string | null }) {
  const show = useStore((s) => s.showTaskSpend);
  const entry = useStore((s) => (missionId ? s.taskSpend[missionId] : undefined));
  const load = useStore((s) => s.loadTaskSpend);
  useEffect(() => {
    show(missionId);
    return () => show(null);
  }, [missionId, show]);

  return (
    <section className="card table-card" aria-labelledby="task-spend-title">
      <div className="card-head card-head-padded">
        <h3 className="card-title" id="task-spend-title">
          By task
        </h3>
        {entry?.data ? <span className="card-meta">{entry.data.rows.length.toLocaleString('en-US')} tasks · all time</span> : null}
      </div>
      {!missionId ? (
        <p className="muted card-head-padded">Choose a mission above to break its spend down by task.</p>
      ) : entry?.data ? (
        <TaskSpendView spend={entry.data} />
      ) : entry?.status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not read the spend per task: {entry.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void load(missionId)}>
            Retry
          </button>
        </div>
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Reading the spend per task…
        </div>
      )}
    </section>
  );
}

/** The table itself: one row per task, dearest first, then what no task accounts for. */
export function TaskSpendView({ spend }: { spend: TaskSpend }) {
  const u = spend.unattributed;
  return (
    <div className="table-scroll">
      <table className="table costs-table" aria-label="Cost by task">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Team</th>
            <th scope="col">State</th>
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
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {spend.rows.map((r) => (
            <tr key={r.taskId}>
              <th scope="row">{r.title}</th>
              <td>{r.teamName}</td>
              <td className="nowrap">{TASK_STATE_LABELS[r.state].label}</td>
              <td className="num">{r.calls.toLocaleString('en-US')}</td>
              <td className="num">{formatCount(r.inputTokens)}</td>
              <td className="num">{formatCount(r.outputTokens)}</td>
              <td className="num">{formatUsd(r.costNanoUsd)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              No task (planning, integration, the director)
            </th>
            <td className="num">{u.calls.toLocaleString('en-US')}</td>
            <td className="num">{formatCount(u.inputTokens)}</td>
            <td className="num">{formatCount(u.outputTokens)}</td>
            <td className="num">{formatUsd(u.costNanoUsd)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
