import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { MissionSummary } from '../../../../src/shared/mission.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { formatDateTime } from '../../lib/format.js';
import { missionSpent, useStore } from '../../store/index.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';
import { MissionStateBadge } from './state-badge.js';
import { CleanUpButton } from './cleanup-dialog.js';

/** Newest first: what someone opening the list is most likely looking for. */
function byCreatedDesc(a: MissionSummary, b: MissionSummary): number {
  return b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
}

export function MissionProgress({ mission }: { mission: Pick<MissionSummary, 'taskCounts'> }) {
  const counts = mission.taskCounts;
  const total = Object.values(counts).reduce((n, c) => n + (c ?? 0), 0);
  const merged = counts.merged ?? 0;
  if (total === 0) return <span className="muted">No tasks yet</span>;
  const pct = Math.round((merged / total) * 100);
  return (
    <div className="progress-cell">
      <div className="progress" role="progressbar" aria-label="Tasks merged" aria-valuenow={merged} aria-valuemin={0} aria-valuemax={total}>
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text">
        {merged}/{total} merged
      </span>
    </div>
  );
}

export function SpendText({ mission }: { mission: Pick<MissionSummary, 'id' | 'budgetNanoUsd'> }) {
  const spent = useStore((s) => missionSpent(s, mission.id));
  return (
    <span className="nowrap">
      {formatUsd(spent)}
      <span className="muted"> / {mission.budgetNanoUsd === null ? 'no limit' : formatUsd(mission.budgetNanoUsd)}</span>
    </span>
  );
}

export function MissionList() {
  const missions = useStore(useShallow((s) => Object.values(s.missions).sort(byCreatedDesc)));
  const status = useStore((s) => s.missionsStatus);
  const error = useStore((s) => s.missionsError);
  const notice = useStore((s) => s.missionNotice);
  const hasDesigns = useStore((s) => s.teams.length > 0);
  const { loadMissions, navigate, dismissMissionNotice } = useStore(
    useShallow((s) => ({ loadMissions: s.loadMissions, navigate: s.navigate, dismissMissionNotice: s.dismissMissionNotice })),
  );

  useEffect(() => {
    void loadMissions();
  }, [loadMissions]);

  const launch = () => navigate({ area: 'missions', mission: 'new' });

  return (
    <div className="page">
      <PageHeader
        title="Missions"
        subtitle="A mission gives a team design a goal on a git repository. Leaders plan, coders work in their own worktrees, and nothing reaches your branch until you approve the final merge."
        actions={
          <>
            <CleanUpButton />
            <button type="button" className="btn btn-primary" onClick={launch}>
              Launch mission
            </button>
          </>
        }
      />
      <NoticeBar notice={notice} onDismiss={dismissMissionNotice} />

      {status === 'idle' || status === 'loading' ? (
        <div className="card placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading missions…
        </div>
      ) : status === 'error' ? (
        <div className="card inline-error" role="alert">
          <span>Could not load missions: {error}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadMissions()}>
            Try again
          </button>
        </div>
      ) : missions.length === 0 ? (
        <section className="empty-state" aria-label="No missions">
          <div className="empty-icon" aria-hidden="true">
            ◎
          </div>
          <h3>No missions yet</h3>
          <p>
            {hasDesigns
              ? 'Launch a mission: choose a team design, describe the goal and point it at a git repository.'
              : 'A mission needs a team design to do the work. Design a team first, then launch a mission with it.'}
          </p>
          <div className="empty-actions">
            {hasDesigns ? (
              <button type="button" className="btn btn-primary" onClick={launch}>
                Launch a mission
              </button>
            ) : (
              <button type="button" className="btn btn-primary" onClick={() => navigate({ area: 'teams', design: 'new' })}>
                Design a team
              </button>
            )}
          </div>
        </section>
      ) : (
        <div className="card table-card">
          <table className="table" aria-label="Missions">
            <thead>
              <tr>
                <th scope="col">Mission</th>
                <th scope="col">State</th>
                <th scope="col">Tasks</th>
                <th scope="col" className="nowrap-head">
                  Spent / budget
                </th>
                <th scope="col" className="num" title="Escalations waiting for you">
                  Waiting
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {missions.map((m) => {
                return (
                  <tr key={m.id}>
                    <th scope="row" className="mission-name-cell">
                      <button type="button" className="link-button" onClick={() => navigate({ area: 'missions', mission: m.id })}>
                        {m.name}
                      </button>
                      <div className="row-description" title={m.goal}>
                        {m.repoPath} · {m.baseBranch}
                      </div>
                    </th>
                    <td>
                      <MissionStateBadge mission={m} />
                    </td>
                    <td>
                      <MissionProgress mission={m} />
                    </td>
                    <td>
                      <SpendText mission={m} />
                    </td>
                    <td className="num">
                      {m.openEscalations > 0 ? <span className="badge badge-warn">{m.openEscalations} open</span> : <span className="muted">—</span>}
                    </td>
                    <td className="nowrap">{formatDateTime(m.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
