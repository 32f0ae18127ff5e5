import { useEffect, useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { EscalationView, MissionView } from '../../../../src/shared/mission.js';
import { isLive } from '../../domain/agent-query.js';
import { cancelMissionText, killIdleText } from '../../domain/kill-text.js';
import { BUSY_AGENT_STATES, ESCALATION_TYPE_LABELS } from '../../domain/labels.js';
import { formatDateTime } from '../../lib/format.js';
import { entityKey, missionSpent, useStore } from '../../store/index.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { noticeStillTrue } from '../../domain/launch-notice.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';
import { AgentDrawer } from '../agents/agent-drawer.js';
import { KillDialog } from '../agents/kill-dialog.js';
import { ActivityLog } from './activity-log.js';
import { MissionAgents } from './mission-agents.js';
import { MissionProgress, SpendText } from './mission-list.js';
import { DirectorDraft } from './director-draft.js';
import { PlanView } from './plan-view.js';
import { MissionStateBadge } from './state-badge.js';
import { KeepBranchesToggle } from './cleanup-dialog.js';
import { MissionResultSection } from './mission-result.js';
import { TeamSteering } from './team-steering.js';
import { TeamStatusSection } from './team-status.js';
import { MissionChanges } from '../review/mission-changes.js';
import { PullRequestPanel } from './pull-request-panel.js';

const ACTIVE = ['planning', 'awaiting_plan_approval', 'running', 'integrating'];

function Controls({ mission }: { mission: MissionView }) {
  // A launch starts the mission itself; its Start button would only race it.
  const busy = useStore((s) => s.missionActions[mission.id] ?? (s.launching && mission.state === 'draft' ? 'start' : undefined));
  const run = useStore((s) => s.runMissionAction);
  const counts = useStore(
    useShallow((s) => {
      let live = 0;
      let inFlight = 0;
      for (const [key, a] of Object.entries(s.agents)) {
        if (!key.startsWith(entityKey(mission.id, ''))) continue;
        if (isLive(a)) live++;
        if (BUSY_AGENT_STATES.includes(a.state)) inFlight++;
      }
      return { live, inFlight };
    }),
  );
  const [confirmCancel, setConfirmCancel] = useState(false);
  const final = mission.state === 'done' || mission.state === 'failed' || mission.state === 'cancelled';
  return (
    <>
      {mission.state === 'draft' ? (
        <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void run(mission.id, 'start')}>
          {busy === 'start' ? 'Starting…' : 'Start'}
        </button>
      ) : null}
      {ACTIVE.includes(mission.state) ? (
        <button type="button" className="btn" disabled={!!busy} onClick={() => void run(mission.id, 'pause')}>
          {busy === 'pause' ? 'Pausing…' : 'Pause'}
        </button>
      ) : null}
      {mission.state === 'paused' ? (
        <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void run(mission.id, 'resume')}>
          {busy === 'resume' ? 'Resuming…' : 'Resume'}
        </button>
      ) : null}
      {!final ? (
        <button type="button" className="btn btn-danger-ghost" disabled={!!busy} onClick={() => setConfirmCancel(true)}>
          Cancel mission
        </button>
      ) : null}
      <KillDialog
        text={confirmCancel ? cancelMissionText(mission.name, mission.baseBranch, counts.live, counts.inFlight) : null}
        busy={busy === 'cancel'}
        onCancel={() => setConfirmCancel(false)}
        onConfirm={() => void run(mission.id, 'cancel').then(() => setConfirmCancel(false))}
      />
    </>
  );
}

function PlanApproval({ escalation, mission }: { escalation: EscalationView; mission: MissionView }) {
  const deciding = useStore((s) => s.deciding.includes(escalation.id));
  const decide = useStore((s) => s.decideEscalation);
  const teams = useStore(useShallow((s) => s.missionDetails[mission.id]?.teams ?? []));
  const [mode, setMode] = useState<'idle' | 'reply' | 'reject'>('idle');
  const [comment, setComment] = useState('');
  const commentId = useId();
  return (
    <section className="card approval-card" aria-label="Plan approval">
      <div className="approval-head">
        <div>
          <h3 className="approval-title">The plan is ready for your approval</h3>
          <p className="muted">{escalation.detail}</p>
        </div>
      </div>
      {teams.some((t) => t.planSummary) ? (
        <ul className="approval-summaries">
          {teams
            .filter((t) => t.planSummary)
            .map((t) => (
              <li key={t.id}>
                <strong>{t.name}:</strong> {t.planSummary}
              </li>
            ))}
        </ul>
      ) : null}
      {mode === 'reply' ? (
        <div className="approval-reply">
          <label htmlFor={commentId} className="field-label">
            What should the leaders change?
          </label>
          <textarea id={commentId} className="input textarea" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          <div className="approval-actions">
            <button type="button" className="btn" onClick={() => setMode('idle')}>
              Back
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={deciding || comment.trim() === ''}
              onClick={() => void decide(escalation.id, 'reply', { comment: comment.trim() }).then((ok) => ok && setMode('idle'))}
            >
              Send to the leaders
            </button>
          </div>
        </div>
      ) : (
        <div className="approval-actions">
          <button type="button" className="btn btn-primary" disabled={deciding} onClick={() => void decide(escalation.id, 'approve')}>
            {deciding ? 'Sending…' : 'Approve plan'}
          </button>
          <button type="button" className="btn" disabled={deciding} onClick={() => setMode('reply')}>
            Ask for changes…
          </button>
          <button type="button" className="btn btn-danger-ghost" disabled={deciding} onClick={() => setMode('reject')}>
            Reject plan
          </button>
        </div>
      )}
      <ConfirmDialog
        open={mode === 'reject'}
        title="Reject the plan?"
        confirmLabel="Reject and cancel"
        tone="danger"
        busy={deciding}
        onCancel={() => setMode('idle')}
        onConfirm={() => void decide(escalation.id, 'deny').then(() => setMode('idle'))}
      >
        <p>Rejecting the plan cancels the mission. The planning calls stay billed; no coder has started yet.</p>
      </ConfirmDialog>
    </section>
  );
}

function OpenEscalations({ escalations }: { escalations: EscalationView[] }) {
  const navigate = useStore((s) => s.navigate);
  if (escalations.length === 0) return null;
  return (
    <section className="card escalation-card" aria-label="Waiting for you">
      <div className="escalation-head">
        <h3 className="card-title">Waiting for you</h3>
        <button type="button" className="btn btn-small" onClick={() => navigate({ area: 'inbox' })}>
          Open the Inbox
        </button>
      </div>
      <ul className="escalation-list">
        {escalations.map((e) => (
          <li key={e.id}>
            <span className="badge badge-warn">{ESCALATION_TYPE_LABELS[e.type]}</span>
            <span className="escalation-title">{e.title}</span>
            <span className="muted nowrap">{formatDateTime(e.createdAt)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The last folders of a long path are the part that tells repositories apart. */
function tailOf(path: string, max: number): string {
  if (path.length <= max) return path;
  const parts = path.split(/[\\/]/).filter(Boolean);
  const tail = parts.slice(-2).join('/');
  return tail.length < max ? `…/${tail}` : `…${path.slice(-(max - 1))}`;
}

function Facts({ mission }: { mission: MissionView }) {
  const spent = useStore((s) => missionSpent(s, mission.id));
  const agents = useStore(
    useShallow((s) => {
      const out = { working: 0, idle: 0, live: 0, total: 0 };
      for (const [key, a] of Object.entries(s.agents)) {
        if (!key.startsWith(entityKey(mission.id, ''))) continue;
        out.total++;
        if (isLive(a)) out.live++;
        if (BUSY_AGENT_STATES.includes(a.state)) out.working++;
        if (a.state === 'idle') out.idle++;
      }
      return out;
    }),
  );
  return (
    <div className="facts">
      <div className="fact card">
        <div className="fact-label">Spent / budget</div>
        <div className="fact-value">
          <SpendText mission={mission} />
        </div>
        {mission.budgetNanoUsd ? (
          <div className="progress" aria-hidden="true">
            <div
              className={`progress-fill${spent > mission.budgetNanoUsd * 0.8 ? ' progress-warn' : ''}`}
              style={{ width: `${Math.min(100, (spent / mission.budgetNanoUsd) * 100)}%` }}
            />
          </div>
        ) : null}
      </div>
      <div className="fact card">
        <div className="fact-label">Tasks</div>
        <div className="fact-value">
          <MissionProgress mission={mission} />
        </div>
      </div>
      <div className="fact card">
        <div className="fact-label">Agents</div>
        <div className="fact-value">
          {agents.working} working · {agents.idle} idle
        </div>
        <div className="fact-sub muted">
          {agents.live} of {agents.total} running
        </div>
      </div>
      <div className="fact card">
        <div className="fact-label">Repository</div>
        <div className="fact-value mono-small fact-path" title={mission.repoPath}>
          {tailOf(mission.repoPath, 28)}
        </div>
        <div className="fact-sub muted mono-small" title={mission.missionBranch ?? undefined}>
          {mission.baseBranch}
          {mission.missionBranch ? ` ← ${mission.missionBranch}` : ''}
        </div>
      </div>
    </div>
  );
}

export function MissionPage({ id }: { id: string }) {
  const detail = useStore((s) => s.missionDetails[id]);
  const notice = useStore((s) => s.missionNotice);
  const agentNotice = useStore((s) => s.agentNotice);
  const openEscalations = useStore(
    useShallow((s) => Object.values(s.escalations).filter((e) => e.missionId === id && e.state === 'open' && e.level === 'human')),
  );
  const idleCount = useStore(
    useShallow((s) => Object.entries(s.agents).filter(([k, a]) => k.startsWith(entityKey(id, '')) && a.state === 'idle').length),
  );
  const killingIdle = useStore((s) => s.killing.includes(`idle:${id}`));
  const { loadMission, navigate, dismissMissionNotice, dismissAgentNotice, killIdle, setAgentQuery } = useStore(
    useShallow((s) => ({
      loadMission: s.loadMission,
      navigate: s.navigate,
      dismissMissionNotice: s.dismissMissionNotice,
      dismissAgentNotice: s.dismissAgentNotice,
      killIdle: s.killIdle,
      setAgentQuery: s.setAgentQuery,
    })),
  );
  const [confirmIdle, setConfirmIdle] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const logId = useId();
  const logHeadingId = useId();

  useEffect(() => {
    void loadMission(id);
  }, [id, loadMission]);

  const back = (
    <button type="button" className="back-link" onClick={() => navigate({ area: 'missions' })}>
      ← Missions
    </button>
  );
  const mission = detail?.view;
  if (!detail || (detail.status === 'loading' && !mission)) {
    return (
      <div className="page">
        {back}
        <div className="card placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the mission…
        </div>
      </div>
    );
  }
  if (!mission) {
    return (
      <div className="page">
        {back}
        <div className="card inline-error" role="alert">
          <span>Could not load the mission: {detail.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void loadMission(id)}>
            Try again
          </button>
        </div>
      </div>
    );
  }

  const final = mission.state === 'done' || mission.state === 'failed' || mission.state === 'cancelled';
  const planApproval = openEscalations.find((e) => e.type === 'plan_approval');
  const brief = openEscalations.find((e) => e.type === 'mission_brief');
  const others = openEscalations.filter((e) => e !== planApproval && e !== brief);

  return (
    <div className="page">
      {back}
      <PageHeader
        title={mission.name}
        badge={<MissionStateBadge mission={mission} />}
        subtitle={<span className="mission-goal">{mission.goal}</span>}
        actions={<Controls mission={mission} />}
      />
      <NoticeBar notice={notice && noticeStillTrue(notice.text, mission.state) ? notice : null} onDismiss={dismissMissionNotice} />
      <NoticeBar notice={agentNotice} onDismiss={dismissAgentNotice} />
      {mission.outcome ? (
        <div className={`banner ${mission.state === 'failed' ? 'banner-warn' : 'banner-info'}`} role="status">
          <span>
            <strong>Outcome:</strong> {mission.outcome}
          </span>
        </div>
      ) : null}
      {final ? <MissionResultSection missionId={id} /> : null}

      {brief ? (
        <section className="card" aria-labelledby={`${id}-brief`}>
          <h3 className="section-title" id={`${id}-brief`}>
            The director&apos;s draft: each team&apos;s share
          </h3>
          <DirectorDraft escalation={brief} teams={detail.teams} />
        </section>
      ) : null}
      {planApproval ? <PlanApproval escalation={planApproval} mission={mission} /> : null}
      {mission.state === 'done' && mission.finalCommit === null ? <PullRequestPanel missionId={id} /> : null}
      <MissionChanges escalations={openEscalations} />
      <OpenEscalations escalations={others} />
      <Facts mission={mission} />
      <KeepBranchesToggle mission={mission} />
      {mission.state !== 'draft' ? <TeamStatusSection missionId={id} /> : null}

      <div className="section-head">
        <h3 className="section-title">Plan</h3>
        <span className="muted">Tasks per team, with what each waits for. Updates live.</span>
      </div>
      {mission.state === 'draft' ? (
        <div className="card placeholder">Start the mission and the leaders will plan the work here.</div>
      ) : (
        <PlanView missionId={id} teams={detail.teams} />
      )}

      {mission.state !== 'draft' && !final ? (
        <>
          <div className="section-head">
            <h3 className="section-title">Steering</h3>
            <span className="muted">Write to a leader, set a team's priority, pause a team, add or remove coders.</span>
          </div>
          <TeamSteering mission={mission} teams={detail.teams} />
        </>
      ) : null}

      <div className="section-head">
        <h3 className="section-title">Agents</h3>
        <div className="section-actions">
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setAgentQuery({ missionId: id, team: '', text: '' });
              navigate({ area: 'agents' });
            }}
          >
            Open in Agents view
          </button>
          {!final ? (
            <button
              type="button"
              className="btn btn-small btn-danger-ghost"
              disabled={idleCount === 0 || killingIdle}
              onClick={() => setConfirmIdle(true)}
            >
              Stop idle agents…
            </button>
          ) : null}
        </div>
      </div>
      <MissionAgents missionId={id} teams={detail.teams} final={final} />

      <div className="section-head">
        <h3 className="section-title" id={logHeadingId}>
          Log
        </h3>
        <div className="section-actions">
          <span className="muted">Every state change, escalation and decision, as the ledger recorded it.</span>
          <button type="button" className="btn btn-small" aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog((v) => !v)}>
            {showLog ? 'Hide log' : 'Show log'}
          </button>
        </div>
      </div>
      {/* Loaded only while shown: a busy mission's log refreshes on its events. */}
      <section id={logId} aria-labelledby={logHeadingId} hidden={!showLog}>
        {showLog ? <ActivityLog missionId={id} /> : null}
      </section>

      <KillDialog
        text={confirmIdle ? killIdleText('this mission', idleCount) : null}
        busy={killingIdle}
        onCancel={() => setConfirmIdle(false)}
        onConfirm={() => void killIdle(id).then(() => setConfirmIdle(false))}
      />
      <AgentDrawer />
    </div>
  );
}
