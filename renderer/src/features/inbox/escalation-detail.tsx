import { useId, type RefObject } from 'react';
import { commandRisk, type CommandRiskLevel } from '../../../../src/shared/command-risk.js';
import type {
  EscalationDecision,
  EscalationView,
  MissionDetail,
  MissionSummary,
} from '../../../../src/shared/mission.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { DirectorDraft, type DirectorDraftHandle } from '../missions/director-draft.js';
import { denyNeedsConfirmation } from '../../domain/decision-effects.js';
import { decisionHint } from '../../domain/escalation-hints.js';
import {
  TYPE_LABELS,
  budgetNumbers,
  formatCountdown,
  minimumCapNano,
  payloadList,
  payloadText,
  planOf,
  timeoutAction,
} from '../../domain/inbox-model.js';
import { formatDateTime, plural } from '../../lib/format.js';
import { MoneyInput } from '../../ui/field.js';
import { teamTitle } from '../../../../src/shared/team-label.js';
import { ChangeReview } from '../review/change-review.js';
import { PullRequestPanel } from '../missions/pull-request-panel.js';

/** What the person has typed or ticked for one item, kept while they move around the list. */
export interface DecisionDraft {
  reply: string;
  alwaysAllow: boolean;
  /** Dollars, as typed. */
  budget: string;
}

export const EMPTY_DRAFT: DecisionDraft = { reply: '', alwaysAllow: false, budget: '' };

const RISK_LABEL: Record<CommandRiskLevel, string> = { low: 'Low risk', medium: 'Medium risk', high: 'High risk' };
const RISK_BADGE: Record<CommandRiskLevel, string> = { low: 'badge-success', medium: 'badge-warn', high: 'badge-danger' };

export function EscalationDetail({
  escalation: e,
  context,
  mission,
  draft,
  onDraft,
  busy,
  error,
  onDecide,
  replyRef,
  briefRef,
  now,
}: {
  escalation: EscalationView;
  context: MissionDetail | undefined;
  mission: MissionSummary | undefined;
  draft: DecisionDraft;
  onDraft(patch: Partial<DecisionDraft>): void;
  busy: boolean;
  error: string | undefined;
  onDecide(decision: EscalationDecision): void;
  replyRef: RefObject<HTMLTextAreaElement | null>;
  /** The director's draft on screen, for the Inbox's keys. */
  briefRef?: RefObject<DirectorDraftHandle | null>;
  now: number;
}) {
  const ids = useId();
  const team = context?.teams.find((t) => t.id === e.teamId);
  const agent = context?.agents.find((a) => a.id === e.agentId);
  const task = context?.tasks.find((t) => t.id === e.taskId);
  const open = e.state === 'open';
  const deadline = open && e.timeoutAt ? Date.parse(e.timeoutAt) - now : null;
  const onTimeout = timeoutAction(context, e.type);

  return (
    <article className="inbox-detail" aria-labelledby={`${ids}-title`}>
      <header className="inbox-detail-head">
        <div className="inbox-detail-badges">
          <span className={`badge inbox-type inbox-type-${e.type}`}>{TYPE_LABELS[e.type]}</span>
          {e.level === 'leader' ? <span className="badge">With the team leader</span> : null}
          {deadline !== null ? (
            <span className="badge badge-warn" role="timer" aria-live="off">
              {onTimeout === 'deny' ? 'Auto-deny' : onTimeout === 'approve' ? 'Auto-approve' : 'Times out'} in{' '}
              {formatCountdown(deadline)}
            </span>
          ) : null}
        </div>
        <h3 id={`${ids}-title`} className="inbox-detail-title">
          {e.title}
        </h3>
        <p className="muted inbox-detail-meta">
          {mission?.name ?? 'Mission'}
          {team ? ` · ${teamTitle(team.name)}` : ''}
          {agent ? ` · ${agent.name} (${agent.role})` : ''} · {formatDateTime(e.createdAt)}
        </p>
      </header>

      {e.detail ? <p className="inbox-text">{e.detail}</p> : null}

      {task ? (
        <section className="inbox-section" aria-label="Task">
          <h4 className="inbox-section-title">Task {task.key}</h4>
          <p>
            <strong>{task.title}</strong>
            {task.attempts > 0 ? <span className="muted"> · {plural(task.attempts, 'attempt')}</span> : null}
          </p>
          {task.feedback ? <p className="muted inbox-text">Last feedback: {task.feedback}</p> : null}
        </section>
      ) : null}

      <TypeContext escalation={e} context={context} />

      {changesCode(e, task) ? <ChangeReview request={{ escalationId: e.id }} shortcut /> : null}

      <BudgetContext escalation={e} mission={mission} draft={draft} onDraft={onDraft} open={open} inputId={`${ids}-budget`} />

      {open && e.type === 'mission_brief' ? (
        <DirectorDraft escalation={e} teams={context?.teams} {...(briefRef ? { handle: briefRef } : {})} />
      ) : open ? (
        <section className="inbox-actions" aria-label="Decision">
          <p className="muted inbox-hint">{decisionHint(e)}</p>
          {e.type === 'permission' && payloadText(e.payload, 'command') ? (
            <label className="inbox-check">
              <input
                type="checkbox"
                checked={draft.alwaysAllow}
                onChange={(event) => onDraft({ alwaysAllow: event.target.checked })}
              />
              Always allow this command for {team ? teamTitle(team.name) : 'this team'}
            </label>
          ) : null}
          <div className="inbox-buttons">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => onDecide('approve')}>
              Approve <kbd>a</kbd>
            </button>
            {e.type === 'plan_approval' ? (
              <>
                <button type="button" className="btn" disabled={busy} onClick={() => replyRef.current?.focus()}>
                  Send back… <kbd>d</kbd>
                </button>
                <button type="button" className="btn btn-danger-ghost" disabled={busy} onClick={() => onDecide('deny')}>
                  Cancel the mission…
                </button>
              </>
            ) : (
              <button type="button" className="btn btn-danger" disabled={busy} onClick={() => onDecide('deny')}>
                {denyNeedsConfirmation(e.type, e.payload) ? 'Deny…' : 'Deny'} <kbd>d</kbd>
              </button>
            )}
            {busy ? <span className="spinner" role="status" aria-label="Sending the decision" /> : null}
          </div>
          <label htmlFor={`${ids}-reply`} className="field-label">
            Reply{e.type === 'plan_approval' ? ': what should the leaders change?' : ''} <kbd>r</kbd>
          </label>
          <textarea
            id={`${ids}-reply`}
            ref={replyRef}
            className="input textarea"
            rows={3}
            placeholder="Your answer or guidance. Ctrl+Enter sends, Esc returns to the list."
            value={draft.reply}
            onChange={(event) => onDraft({ reply: event.target.value })}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                if (draft.reply.trim() !== '') onDecide('reply');
              } else if (event.key === 'Escape') {
                event.currentTarget.blur();
                document.querySelector<HTMLElement>('.inbox-row[aria-current="true"] .inbox-row-main')?.focus();
              }
            }}
          />
          <div className="inbox-buttons">
            <button
              type="button"
              className="btn"
              disabled={busy || draft.reply.trim() === ''}
              onClick={() => onDecide('reply')}
            >
              {e.type === 'plan_approval' ? 'Send the plan back' : 'Send reply'}
            </button>
          </div>
          {error ? (
            <div className="inline-error" role="alert">
              {error}
            </div>
          ) : null}
        </section>
      ) : (
        <section className="inbox-section" aria-label="Decision">
          <h4 className="inbox-section-title">Decision</h4>
          <p>
            {e.state === 'cancelled'
              ? 'Cancelled (the work it was about ended).'
              : `${e.decision === 'approve' ? 'Approved' : e.decision === 'deny' ? 'Denied' : 'Replied'} by ${
                  e.decidedBy === 'human' ? 'you' : e.decidedBy === 'timeout' ? 'the timeout' : `the ${e.decidedBy ?? 'engine'}`
                }${e.decidedAt ? ` on ${formatDateTime(e.decidedAt)}` : ''}.`}
          </p>
          {e.comment ? <p className="inbox-text">“{e.comment}”</p> : null}
          {e.alwaysAllow ? <p className="muted">The command is now allowed for the team.</p> : null}
        </section>
      )}
    </article>
  );
}

/**
 * Whether approving this item lands code, so the person sees the change first: the final
 * merge, a merge conflict, a task given up after its attempts, a submission waiting for
 * its review.
 */
/** Whether an item approves a change to code, so its detail shows the change review (`v` jumps to it). */
export function changesCode(e: EscalationView, task: MissionDetail['tasks'][number] | undefined): boolean {
  if (e.type === 'final_merge' || e.type === 'merge_conflict' || e.type === 'dead_letter') return true;
  return task !== undefined && (task.state === 'submitted' || task.state === 'reviewed');
}

function TypeContext({ escalation: e, context }: { escalation: EscalationView; context: MissionDetail | undefined }) {
  const command = payloadText(e.payload, 'command');
  const diff = payloadText(e.payload, 'diff');
  const conflicts = payloadList(e.payload, 'conflicts');
  const risk = command ? commandRisk(command) : null;
  return (
    <>
      {command && risk ? (
        <section className="inbox-section" aria-label="Command">
          <h4 className="inbox-section-title">
            Command{' '}
            <span className={`badge ${RISK_BADGE[risk.level]}`} title={risk.reasons.join('; ')}>
              {RISK_LABEL[risk.level]}: {risk.reason}
            </span>
          </h4>
          <pre className="inbox-code">
            <code>{command}</code>
          </pre>
          {risk.reasons.length > 1 ? <p className="muted">Also: {risk.reasons.slice(1).join('; ')}.</p> : null}
        </section>
      ) : null}
      {diff ? (
        <section className="inbox-section" aria-label="Diff">
          <h4 className="inbox-section-title">Diff</h4>
          <pre className="inbox-code inbox-diff">
            {diff.split('\n').map((line, i) => (
              <span
                key={i}
                className={line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : line.startsWith('@@') ? 'diff-hunk' : undefined}
              >
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        </section>
      ) : null}
      {conflicts.length > 0 ? (
        <section className="inbox-section" aria-label="Conflicting files">
          <h4 className="inbox-section-title">Conflicting files</h4>
          <ul className="inbox-files">
            {conflicts.map((f) => (
              <li key={f}>
                <code>{f}</code>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {e.type === 'final_merge' && payloadText(e.payload, 'missionBranch') ? (
        <p className="muted">
          Branch <code>{payloadText(e.payload, 'missionBranch')}</code> at{' '}
          <code>{payloadText(e.payload, 'commit')?.slice(0, 12)}</code>
        </p>
      ) : null}
      {e.type === 'final_merge' && e.state === 'open' ? <PullRequestPanel missionId={e.missionId} /> : null}
      {e.type === 'plan_approval' ? <PlanContext context={context} /> : null}
    </>
  );
}

function PlanContext({ context }: { context: MissionDetail | undefined }) {
  if (!context) {
    return (
      <p className="muted" role="status">
        Loading the plan…
      </p>
    );
  }
  const plan = planOf(context);
  return (
    <section className="inbox-section" aria-label="Plan">
      <h4 className="inbox-section-title">The plan</h4>
      {plan.map((team) => (
        <div key={team.teamId} className="inbox-plan-team">
          <h5>
            {teamTitle(team.name)} <span className="muted">· {plural(team.tasks.length, 'task')}</span>
          </h5>
          {team.summary ? <p className="muted inbox-text">{team.summary}</p> : null}
          <ol className="inbox-plan-tasks">
            {team.tasks.map((t) => (
              <li key={t.id}>
                <strong>
                  {t.key}: {t.title}
                </strong>
                {t.description ? <div className="muted">{t.description}</div> : null}
                {t.owns.length > 0 ? (
                  <div className="muted">
                    Owns <code>{t.owns.join(', ')}</code>
                  </div>
                ) : null}
                {t.dependsOn.length > 0 ? <div className="muted">After {t.dependsOn.join(', ')}</div> : null}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

function BudgetContext({
  escalation: e,
  mission,
  draft,
  onDraft,
  open,
  inputId,
}: {
  escalation: EscalationView;
  mission: MissionSummary | undefined;
  draft: DecisionDraft;
  onDraft(patch: Partial<DecisionDraft>): void;
  open: boolean;
  inputId: string;
}) {
  const numbers = e.type === 'budget' ? budgetNumbers(e.payload) : null;
  if (!numbers && !mission) return null;
  return (
    <section className="inbox-section" aria-label="Budget">
      <h4 className="inbox-section-title">Budget</h4>
      <dl className="inbox-numbers">
        {mission && numbers?.scope !== 'mission' ? (
          <>
            <dt>Mission spent</dt>
            <dd>{formatUsd(mission.spentNanoUsd)}</dd>
            <dt>Mission cap</dt>
            <dd>{mission.budgetNanoUsd === null ? 'No cap' : formatUsd(mission.budgetNanoUsd)}</dd>
          </>
        ) : null}
        {numbers ? (
          <>
            <dt>{numbers.scope === 'mission' ? 'Spent and in flight' : `Spent by the ${numbers.scope}`}</dt>
            <dd>{formatUsd(numbers.spentNano)}</dd>
            <dt>{numbers.scope[0]!.toUpperCase() + numbers.scope.slice(1)} cap</dt>
            <dd>{formatUsd(numbers.capNano)}</dd>
            <dt>This call’s worst case</dt>
            <dd>{formatUsd(numbers.worstCaseNano)}</dd>
            <dt>Needed at least</dt>
            <dd>{formatUsd(minimumCapNano(numbers))}</dd>
          </>
        ) : null}
      </dl>
      {numbers && open && numbers.scope === 'mission' ? (
        <div className="field inbox-budget-field">
          <label htmlFor={inputId} className="field-label">
            New mission budget (applied when you approve)
          </label>
          <MoneyInput id={inputId} value={draft.budget} onChange={(budget) => onDraft({ budget })} placeholder="Keep the cap" />
        </div>
      ) : numbers && open ? (
        <p className="muted">This cap belongs to the {numbers.scope} in the team design; change it there, or deny.</p>
      ) : null}
    </section>
  );
}
