import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ESCALATION_TYPES, type EscalationDecision, type EscalationType } from '../../../../src/shared/mission.js';
import { denyConfirmation, denyNeedsConfirmation } from '../../domain/decision-effects.js';
import { keyIntent, type DecisionKey } from '../../domain/inbox-keys.js';
import { TYPE_LABELS, dollarsToNano, formatAge, formatCountdown, unreadCount } from '../../domain/inbox-model.js';
import { plural } from '../../lib/format.js';
import { useStore, visibleInboxItems } from '../../store/index.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { PageHeader } from '../../ui/page-header.js';
import type { DirectorDraftHandle } from '../missions/director-draft.js';
import { changesCode, EMPTY_DRAFT, EscalationDetail, type DecisionDraft } from './escalation-detail.js';
import { isTypingTarget, useInboxKeys } from './use-inbox-keys.js';
import { useNow } from './use-now.js';
import './inbox.css';
import { labelRepeats, scopedKey } from '../../../../src/shared/team-label.js';

export function InboxPage() {
  const status = useStore((s) => s.inboxStatus);
  const error = useStore((s) => s.inboxError);
  const filter = useStore((s) => s.inboxFilter);
  const items = useStore(useShallow(visibleInboxItems));
  const allById = useStore((s) => s.escalations);
  const missions = useStore((s) => s.inboxMissions);
  const contexts = useStore((s) => s.inboxContext);
  const selectedId = useStore((s) => s.inboxSelectedId);
  const checked = useStore((s) => s.inboxChecked);
  const deciding = useStore((s) => s.deciding);
  const errors = useStore((s) => s.escalationErrors);
  const notice = useStore((s) => s.inboxNotice);
  const seen = useStore((s) => s.inboxSeen);
  const permission = useStore((s) => s.notifyPermission);
  const actions = useStore(
    useShallow((s) => ({
      loadInbox: s.loadInbox,
      setFilter: s.setInboxFilter,
      select: s.selectInboxItem,
      move: s.moveInboxSelection,
      toggle: s.toggleInboxChecked,
      setChecked: s.setInboxChecked,
      decide: s.decideEscalation,
      approveChecked: s.approveCheckedInbox,
      markAllSeen: s.markAllInboxSeen,
      enableNotifications: s.enableNotifications,
      dismissNotice: s.dismissInboxNotice,
    })),
  );

  const [drafts, setDrafts] = useState<Record<string, DecisionDraft>>({});
  const [budgetError, setBudgetError] = useState<string | null>(null);
  const replyRef = useRef<HTMLTextAreaElement | null>(null);
  const briefRef = useRef<DirectorDraftHandle | null>(null);
  // Why a key did nothing on the selected item (the director is still drafting), until the next key or item.
  const [keyNote, setKeyNote] = useState<{ id: string; text: string } | null>(null);
  // The item whose deny, which would end its mission, waits for the person's confirmation.
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const rowRefs = useRef(new Map<string, HTMLButtonElement>());
  const seenSet = useMemo(() => new Set(seen), [seen]);
  const all = useMemo(() => Object.values(allById), [allById]);
  const unread = unreadCount(all, seenSet);
  const hasDeadlines = items.some((e) => e.state === 'open' && e.timeoutAt !== null);
  const now = useNow(hasDeadlines ? 1_000 : 30_000);

  useEffect(() => {
    if (status === 'idle') void actions.loadInbox();
  }, [status, actions]);

  const selected = items.find((e) => e.id === selectedId) ?? null;
  const draftOf = (id: string) => drafts[id] ?? EMPTY_DRAFT;
  const setDraft = (id: string, patch: Partial<DecisionDraft>) =>
    setDrafts((d) => ({ ...d, [id]: { ...(d[id] ?? EMPTY_DRAFT), ...patch } }));

  // Keyboard moves keep the focus ring on the selected row, unless the person is typing.
  useEffect(() => {
    if (!selectedId || isTypingTarget(document.activeElement)) return;
    const row = rowRefs.current.get(selectedId);
    if (row && document.activeElement !== row) row.focus({ preventScroll: false });
  }, [selectedId]);

  // A deny that ends the mission (a plan, a final merge, …) is only sent once confirmed.
  const decide = (decision: EscalationDecision) => {
    if (!selected || selected.state !== 'open') return;
    if (decision === 'deny' && denyNeedsConfirmation(selected.type, selected.payload)) setConfirmingId(selected.id);
    else send(decision);
  };

  const send = (decision: EscalationDecision) => {
    if (!selected || selected.state !== 'open') return;
    const draft = draftOf(selected.id);
    if (decision === 'reply' && draft.reply.trim() === '') {
      replyRef.current?.focus();
      return;
    }
    let budgetNanoUsd: number | undefined;
    if (decision === 'approve' && selected.type === 'budget' && draft.budget.trim() !== '') {
      const nano = dollarsToNano(draft.budget);
      if (nano === null) {
        setBudgetError('New mission budget: enter an amount in dollars, such as 25 or 12.50.');
        return;
      }
      budgetNanoUsd = nano;
    }
    setBudgetError(null);
    const id = selected.id;
    void actions
      .decide(id, decision, {
        comment: decision === 'reply' ? draft.reply : draft.reply.trim(),
        alwaysAllow: decision === 'approve' && draft.alwaysAllow,
        ...(budgetNanoUsd === undefined ? {} : { budgetNanoUsd }),
      })
      .then((ok) => {
        if (ok) setDrafts(({ [id]: _done, ...rest }) => rest);
      });
  };

  // The director's draft is decided in its own component (the person's edits live there).
  const onDecisionKey = (key: DecisionKey) => {
    if (!selected || selected.state !== 'open') return;
    setKeyNote(null);
    const intent = keyIntent(selected.type, key, selected.payload);
    if (intent === 'focus-reply') replyRef.current?.focus();
    else if (intent === 'confirm-deny') setConfirmingId(selected.id);
    else if (intent === 'approve-brief' || intent === 'focus-comment') {
      const draft = briefRef.current;
      const why = draft ? (intent === 'approve-brief' ? draft.approve() : draft.focusComment()) : null;
      if (why) setKeyNote({ id: selected.id, text: why });
    } else decide(intent);
  };

  useInboxKeys(
    {
      next: () => actions.move(1),
      previous: () => actions.move(-1),
      approve: () => onDecisionKey('approve'),
      deny: () => onDecisionKey('deny'),
      reply: () => onDecisionKey('reply'),
      toggleChecked: () => {
        if (selected?.state === 'open') actions.toggle(selected.id);
      },
    },
    status === 'ready',
  );

  const missionOptions = Object.values(missions).sort((a, b) => a.name.localeCompare(b.name));
  // Keyed by mission and team: two missions of one design both have a "Team 1", which
  // says its mission so the list never shows one name twice.
  const teamOptions = useMemo(() => {
    const teams = Object.entries(contexts)
      .filter(([missionId]) => filter.missionId === null || missionId === filter.missionId)
      .flatMap(([missionId, detail]) =>
        detail.teams.map((t) => ({ key: scopedKey(missionId, t.id), name: t.name, missionName: detail.mission.name })),
      );
    const labels = labelRepeats(teams);
    return teams.map((t): [string, string] => [t.key, labels.get(t.key) ?? t.name]).sort((a, b) => a[1].localeCompare(b[1]));
  }, [contexts, filter.missionId]);
  const openIds = items.filter((e) => e.state === 'open').map((e) => e.id);
  const allChecked = openIds.length > 0 && openIds.every((id) => checked.includes(id));

  return (
    <div className="page inbox-page">
      <PageHeader
        title="Inbox"
        badge={unread > 0 ? <span className="badge badge-accent">{plural(unread, 'unread item')}</span> : null}
        subtitle="Everything your teams need from you, across every mission, newest first."
        actions={
          <>
            {permission === 'default' ? (
              <button type="button" className="btn" onClick={() => void actions.enableNotifications()}>
                Enable notifications
              </button>
            ) : permission === 'denied' ? (
              <span className="muted" title="Allow notifications for this site in the browser to turn them on">
                Notifications blocked
              </span>
            ) : permission === 'granted' ? (
              <span className="muted">Notifications on</span>
            ) : null}
            <button type="button" className="btn" disabled={unread === 0} onClick={actions.markAllSeen}>
              Mark all read
            </button>
          </>
        }
      />
      <NoticeBar notice={notice} onDismiss={actions.dismissNotice} />

      <div className="inbox-toolbar" role="group" aria-label="Filters">
        <div className="segmented" role="radiogroup" aria-label="Show">
          {(['open', 'decided'] as const).map((view) => (
            <label key={view} className="segmented-option">
              <input
                type="radio"
                name="inbox-view"
                checked={filter.view === view}
                onChange={() => actions.setFilter({ view })}
              />
              {view === 'open' ? 'Needs you' : 'Decided'}
            </label>
          ))}
        </div>
        <label className="inbox-filter">
          <span className="field-label">Mission</span>
          <select
            className="input"
            value={filter.missionId ?? ''}
            onChange={(event) => actions.setFilter({ missionId: event.target.value || null })}
          >
            <option value="">All missions</option>
            {missionOptions.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label className="inbox-filter">
          <span className="field-label">Team</span>
          <select
            className="input"
            value={filter.teamKey ?? ''}
            onChange={(event) => actions.setFilter({ teamKey: event.target.value || null })}
          >
            <option value="">All teams</option>
            {teamOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="inbox-filter">
          <span className="field-label">Type</span>
          <select
            className="input"
            value={filter.type ?? ''}
            onChange={(event) => actions.setFilter({ type: (event.target.value || null) as EscalationType | null })}
          >
            <option value="">All types</option>
            {ESCALATION_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
      </div>

      <p className="inbox-keys muted" id="inbox-keys">
        {selected?.type === 'mission_brief' && selected.state === 'open' ? (
          <>
            Keys: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>a</kbd> approve the draft as edited · <kbd>d</kbd>/<kbd>r</kbd> comment
            for the director (<kbd>Ctrl</kbd>+<kbd>Enter</kbd> sends it back) · <kbd>x</kbd> tick
          </>
        ) : (
          <>
            Keys: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>a</kbd> approve ·{' '}
            {selected?.type === 'plan_approval' ? (
              <>
                <kbd>d</kbd>/<kbd>r</kbd> comment to send the plan back
              </>
            ) : (
              <>
                <kbd>d</kbd> deny · <kbd>r</kbd> reply
              </>
            )}{' '}
            {selected && changesCode(selected, contexts[selected.missionId]?.tasks.find((t) => t.id === selected.taskId)) ? (
              <>
                · <kbd>v</kbd> the changes{' '}
              </>
            ) : null}
            · <kbd>x</kbd> tick
          </>
        )}
      </p>

      {status === 'loading' || status === 'idle' ? (
        <p className="muted placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the inbox…
        </p>
      ) : status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not load the inbox: {error}</span>
          <button type="button" className="btn btn-small" onClick={() => void actions.loadInbox()}>
            Try again
          </button>
        </div>
      ) : items.length === 0 ? (
        <div className="empty-state">
          <div className="empty-icon" aria-hidden="true">
            ✉
          </div>
          <h3>{filter.view === 'open' ? 'Nothing needs you right now' : 'No decisions yet'}</h3>
          <p>
            {filter.view === 'open'
              ? 'Questions, commands to allow, plans to approve and budget requests from your teams show up here.'
              : 'Escalations you, the leaders or a timeout decided show up here.'}
          </p>
        </div>
      ) : (
        <div className="inbox-panes">
          <section className="inbox-list-pane" aria-label="Escalations">
            {filter.view === 'open' ? (
              <div className="inbox-bulk">
                <label className="inbox-check">
                  <input
                    type="checkbox"
                    checked={allChecked}
                    onChange={() => actions.setChecked(allChecked ? [] : openIds)}
                  />
                  Select all
                </label>
                <button
                  type="button"
                  className="btn btn-small btn-primary"
                  disabled={checked.length === 0}
                  onClick={() => void actions.approveChecked()}
                >
                  Approve selected{checked.length > 0 ? ` (${checked.length})` : ''}
                </button>
              </div>
            ) : null}
            <ul className="inbox-list" aria-describedby="inbox-keys">
              {items.map((e) => {
                const isSelected = e.id === selectedId;
                const isUnread = e.state === 'open' && !seenSet.has(e.id);
                const mission = missions[e.missionId];
                const team = contexts[e.missionId]?.teams.find((t) => t.id === e.teamId);
                return (
                  <li
                    key={e.id}
                    className={`inbox-row${isSelected ? ' is-selected' : ''}${isUnread ? ' is-unread' : ''}`}
                    aria-current={isSelected ? 'true' : undefined}
                  >
                    {e.state === 'open' ? (
                      <input
                        type="checkbox"
                        aria-label={`Select: ${e.title}`}
                        checked={checked.includes(e.id)}
                        onChange={() => actions.toggle(e.id)}
                      />
                    ) : null}
                    <button
                      type="button"
                      className="inbox-row-main"
                      ref={(el) => {
                        if (el) rowRefs.current.set(e.id, el);
                        else rowRefs.current.delete(e.id);
                      }}
                      onClick={() => actions.select(e.id)}
                    >
                      <span className="inbox-row-top">
                        {isUnread ? <span className="inbox-unread-dot" aria-label="Unread" /> : null}
                        <span className={`badge inbox-type inbox-type-${e.type}`}>{TYPE_LABELS[e.type]}</span>
                        {e.state === 'open' && e.timeoutAt ? (
                          <span className="badge badge-warn">{formatCountdown(Date.parse(e.timeoutAt) - now)}</span>
                        ) : null}
                        <span className="inbox-row-age muted">{formatAge(e.decidedAt ?? e.createdAt, now)}</span>
                      </span>
                      <span className="inbox-row-title">{e.title}</span>
                      <span className="inbox-row-meta muted">
                        {mission?.name ?? e.missionId}
                        {team ? ` · ${team.name}` : ''}
                        {e.state !== 'open' && e.decision ? ` · ${e.decision}` : ''}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
          <section className="inbox-detail-pane card" aria-label="Selected escalation">
            {selected ? (
              <>
                <EscalationDetail
                  escalation={selected}
                  context={contexts[selected.missionId]}
                  mission={missions[selected.missionId]}
                  draft={draftOf(selected.id)}
                  onDraft={(patch) => setDraft(selected.id, patch)}
                  busy={deciding.includes(selected.id)}
                  error={errors[selected.id]}
                  onDecide={decide}
                  replyRef={replyRef}
                  briefRef={briefRef}
                  now={now}
                />
                {keyNote?.id === selected.id ? (
                  <p className="muted" role="status">
                    {keyNote.text}
                  </p>
                ) : null}
                {confirmingId === selected.id ? (
                  <ConfirmDialog
                    open
                    title={denyConfirmation(selected.type, selected.payload).title}
                    confirmLabel={denyConfirmation(selected.type, selected.payload).confirmLabel}
                    tone="danger"
                    busy={deciding.includes(selected.id)}
                    onCancel={() => setConfirmingId(null)}
                    onConfirm={() => {
                      setConfirmingId(null);
                      send('deny');
                    }}
                  >
                    <p>{denyConfirmation(selected.type, selected.payload).body}</p>
                  </ConfirmDialog>
                ) : null}
                {budgetError ? (
                  <div className="inline-error" role="alert">
                    {budgetError}
                  </div>
                ) : null}
              </>
            ) : (
              <div className="inbox-nothing muted">
                <p>Select an item to see what is asked, with its context.</p>
                <p>
                  Press <kbd>j</kbd> to start at the newest.
                </p>
              </div>
            )}
          </section>
        </div>
      )}
    </div>
  );
}
