import { useEffect } from 'react';
import { formatUsd } from '../../../../src/shared/money.js';
import { ratioPercent, type Ratio, type TeamStatus } from '../../../../src/shared/team-status.js';
import { ESCALATION_TYPE_LABELS } from '../../domain/labels.js';
import { formatDuration } from '../../lib/format.js';
import { entityKey, useStore } from '../../store/index.js';
import { useNow } from './use-now.js';
import './team-status.css';

/* Each team's status at a glance and its velocity, measured by the ledger (`missions:get-team-status`). */

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "1 of 2 (50%)", or "none yet" when there is nothing to measure. */
export function ratioText(r: Ratio): string {
  const pct = ratioPercent(r);
  return pct === null ? 'none yet' : `${r.count} of ${r.of} (${pct}%)`;
}

/** Tasks per hour as people read a pace: "2.2 / h", "0.45 / h". */
export function paceText(perHour: number | null): string {
  if (perHour === null) return 'none merged yet';
  return `${perHour >= 10 ? perHour.toFixed(0) : perHour >= 1 ? perHour.toFixed(1) : perHour.toFixed(2)} / h`;
}

/** When the team should finish: "≈ 12:21, in 1h 48m", or why it cannot be said. */
export function etaText(team: TeamStatus, now: number): string {
  const { finishAt, reason } = team.eta;
  if (finishAt === null) return reason ?? 'unknown';
  const at = Date.parse(finishAt);
  return `≈ ${clock.format(new Date(at))}, in ${formatDuration(Math.max(0, at - now) / 1000)}`;
}

export interface TeamStatusCardProps {
  team: TeamStatus;
  now: number;
  /** Opens the blocker's item in the Inbox. */
  onOpenBlocker: (escalationId: string) => void;
}

/** One team's card: counts, open blockers, finish estimate and velocity figures. */
export function TeamStatusCard({ team, now, onOpenBlocker }: TeamStatusCardProps) {
  const { counts, velocity: v } = team;
  const segments: { key: keyof typeof counts; label: string }[] = [
    { key: 'done', label: 'done' },
    { key: 'inReview', label: 'in review' },
    { key: 'inProgress', label: 'in progress' },
    { key: 'blocked', label: 'blocked' },
    { key: 'waiting', label: 'waiting' },
  ];
  const headingId = `team-status-${team.teamId}`;
  return (
    <section className="card team-status-card" aria-labelledby={headingId}>
      <div className="team-status-head">
        <h4 className="card-title" id={headingId}>
          {team.name}
        </h4>
        <span className="team-status-eta" title="Estimated finish at the team's measured pace">
          Finish: {etaText(team, now)}
        </span>
      </div>
      <div className="team-status-bar" aria-hidden="true">
        {counts.assigned > 0
          ? segments.map((s) =>
              counts[s.key] > 0 ? (
                <span key={s.key} className={`team-status-seg seg-${s.key}`} style={{ flexGrow: counts[s.key] }} />
              ) : null,
            )
          : null}
      </div>
      <p className="team-status-counts">
        <strong>{counts.assigned}</strong> assigned
        {segments.map((s) => (
          <span key={s.key} className={s.key === 'blocked' && counts.blocked > 0 ? 'team-status-warn' : undefined}>
            {' · '}
            {counts[s.key]} {s.label}
          </span>
        ))}
      </p>
      <dl className="team-status-figures">
        <div>
          <dt>Merged per hour</dt>
          <dd title={`${v.merged} merged in ${formatDuration(v.activeMs / 1000)} of work`}>{paceText(v.mergedPerHour)}</dd>
        </div>
        <div>
          <dt>Blocker resolved in</dt>
          <dd title={`median of ${v.blockersResolved} decided`}>
            {v.medianBlockerMs === null ? 'none decided' : `${formatDuration(v.medianBlockerMs / 1000)} (median of ${v.blockersResolved})`}
          </dd>
        </div>
        <div>
          <dt>First-review approval</dt>
          <dd>{ratioText(v.firstReviewApproval)}</dd>
        </div>
        <div>
          <dt>Rework</dt>
          <dd title="Submissions a reviewer rejected">{ratioText(v.rework)}</dd>
        </div>
        <div>
          <dt>Merges without conflict</dt>
          <dd>{ratioText(v.integration)}</dd>
        </div>
        <div>
          <dt>Cost per merged task</dt>
          <dd title={`${formatUsd(v.costNanoUsd)} spent by the team`}>
            {v.costPerMergedNanoUsd === null ? `${formatUsd(v.costNanoUsd)} spent, none merged` : formatUsd(v.costPerMergedNanoUsd)}
          </dd>
        </div>
      </dl>
      {team.blockers.length > 0 ? (
        <div className="team-status-blockers">
          <span className="team-status-blockers-title team-status-warn">
            {team.blockers.length} open {team.blockers.length === 1 ? 'blocker' : 'blockers'}
          </span>
          <ul>
            {team.blockers.map((b) => (
              <li key={b.escalationId}>
                <span className="badge badge-warn">{ESCALATION_TYPE_LABELS[b.type]}</span>
                {b.level === 'human' ? (
                  <button type="button" className="link-button team-status-blocker" onClick={() => onOpenBlocker(b.escalationId)} title="Open in the Inbox">
                    {b.title}
                  </button>
                ) : (
                  <span className="team-status-blocker" title="The team's leader is deciding it">
                    {b.title} <span className="muted">(with the leader)</span>
                  </span>
                )}
                <span className="muted nowrap">{formatDuration(Math.max(b.ageMs, now - Date.parse(b.createdAt)) / 1000)}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

/**
 * Every team of a mission (or only `teamId`), kept fresh while shown: the figures are
 * measured again on the mission's events, a few times a minute at most.
 */
export function TeamStatusCards({ missionId, teamKey }: { missionId: string; teamKey?: string }) {
  const watch = useStore((s) => s.watchTeamStatus);
  const entry = useStore((s) => s.teamStatus[missionId]);
  const load = useStore((s) => s.loadTeamStatus);
  const navigate = useStore((s) => s.navigate);
  const select = useStore((s) => s.selectInboxItem);
  const now = useNow();
  useEffect(() => watch(missionId), [missionId, watch]);

  if (!entry?.data) {
    if (entry?.status === 'error')
      return (
        <div className="card inline-error" role="alert">
          <span>Could not measure the teams: {entry.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void load(missionId)}>
            Try again
          </button>
        </div>
      );
    return (
      <div className="card placeholder" role="status">
        <span className="spinner" aria-hidden="true" /> Measuring the teams…
      </div>
    );
  }
  const teams = entry.data.teams.filter((t) => !teamKey || entityKey(missionId, t.teamId) === teamKey);
  const open = (escalationId: string) => {
    navigate({ area: 'inbox' });
    select(escalationId);
  };
  return (
    <div className="team-status-grid">
      {teams.map((t) => (
        <TeamStatusCard key={t.teamId} team={t} now={now} onOpenBlocker={open} />
      ))}
    </div>
  );
}

/** The mission page's "Teams" section: a heading and a card per team. */
export function TeamStatusSection({ missionId }: { missionId: string }) {
  return (
    <>
      <div className="section-head">
        <h3 className="section-title">Teams</h3>
        <span className="muted">Progress, blockers, finish estimate and velocity per team, from the ledger.</span>
      </div>
      <TeamStatusCards missionId={missionId} />
    </>
  );
}

/**
 * The Agents screen's team status: the teams of the mission its filter shows (only the
 * filtered team, if one is), or of the one mission there is. With several missions and
 * no filter it says how to see them, to keep the agents table on screen.
 */
export function AgentsTeamStatus() {
  const missionFilter = useStore((s) => s.agentQuery.missionId);
  const teamKey = useStore((s) => s.agentQuery.team);
  const only = useStore((s) => {
    const ids = Object.keys(s.missionDetails);
    return ids.length === 1 ? ids[0]! : null;
  });
  const missionId = missionFilter || only;
  return (
    // A plain block, not a labelled region: the cards are the regions, named by their teams.
    <div className="team-status-section">
      {missionId ? (
        <TeamStatusCards missionId={missionId} teamKey={teamKey} />
      ) : (
        <p className="muted team-status-hint">Choose a mission above to see each team&apos;s progress, blockers and velocity.</p>
      )}
    </div>
  );
}
