import { useId, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { briefPayload, type MissionBrief } from '../../../../src/shared/mission-brief.js';
import type { EscalationView, MissionTeamView } from '../../../../src/shared/mission.js';
import { briefToApprove } from '../../domain/inbox-keys.js';
import { useStore } from '../../store/index.js';
import { teamTitle } from '../../../../src/shared/team-label.js';

/** What the Inbox's keys reach in a draft on screen: `a` approves it as edited, `d`/`r` move to the comment. */
export interface DirectorDraftHandle {
  /** Approves the draft as edited (or as written); answers why not when there is nothing to approve yet, else null. */
  approve(): string | null;
  /** Puts the cursor in the comment for the director; answers why not when there is no draft to comment on yet, else null. */
  focusComment(): string | null;
}

/**
 * The director's draft of a mission's brief (a `mission_brief` escalation): each team's
 * share, editable; the phases; the interfaces between teams, editable. The person approves
 * it as edited (the leaders plan from that) or sends it back with a comment (the director
 * drafts again). Used by the Inbox and the mission page; every control is a labelled form
 * field or button, so it is reachable by keyboard.
 */
export function DirectorDraft({
  escalation: e,
  teams,
  handle,
}: {
  escalation: EscalationView;
  teams: readonly MissionTeamView[] | undefined;
  handle?: Ref<DirectorDraftHandle>;
}) {
  const ids = useId();
  const payload = briefPayload(e.payload);
  const decide = useStore((s) => s.decideEscalation);
  const busy = useStore((s) => s.deciding.includes(e.id));
  const error = useStore((s) => s.escalationErrors[e.id]);
  // The person's edits, keyed by the escalation: a new draft (a send-back) starts afresh.
  const [edits, setEdits] = useState<{ id: string; brief: MissionBrief | null }>({ id: e.id, brief: null });
  const [comment, setComment] = useState('');
  const base = payload?.draft ?? null;
  const brief = edits.id === e.id && edits.brief ? edits.brief : base;
  const nameOf = (id: string) => teams?.find((t) => t.id === id)?.name ?? id;
  const edit = (patch: Partial<MissionBrief>) => brief && setEdits({ id: e.id, brief: { ...brief, ...patch } });
  const open = e.state === 'open';
  const commentRef = useRef<HTMLTextAreaElement | null>(null);
  const approve = () => {
    const chosen = briefToApprove(payload, edits.id === e.id ? edits.brief : null);
    if (!chosen.ok) return chosen.reason;
    void decide(e.id, 'approve', { brief: chosen.brief });
    return null;
  };
  const sendBack = () => void decide(e.id, 'reply', { comment: comment.trim() }).then((sent) => sent && setComment(''));
  const focusComment = () => {
    if (!commentRef.current) return 'The director is still drafting; comment once its draft is here.';
    commentRef.current.focus();
    return null;
  };
  useImperativeHandle(handle, () => ({ approve, focusComment }));

  if (!payload) return null;
  if (payload.status === 'drafting') {
    return (
      <section className="director-draft" aria-label="The director's draft">
        <p className="muted" role="status">
          The director ({payload.model}) is drafting each team&apos;s share{payload.round > 1 ? `, round ${payload.round}` : ''}…
        </p>
      </section>
    );
  }
  if (!brief) return null;
  return (
    <section className="director-draft" aria-label="The director's draft">
      {payload.status === 'failed' ? (
        <p className="inline-error" role="alert">
          The director could not draft the brief: {payload.error}. The shares below come from the team briefs.
        </p>
      ) : null}
      {payload.comment ? <p className="muted">Your comment on the previous draft: “{payload.comment}”</p> : null}
      {Object.keys(brief.shares).map((teamId) => {
        const after = brief.after[teamId] ?? [];
        return (
          <div key={teamId} className="field">
            <label className="field-label" htmlFor={`${ids}-share-${teamId}`}>
              Share of {teamTitle(nameOf(teamId))}
              {after.length > 0 ? <span className="muted"> · starts after {after.map(nameOf).join(', ')}</span> : null}
            </label>
            <textarea
              id={`${ids}-share-${teamId}`}
              className="input textarea"
              rows={3}
              readOnly={!open}
              value={brief.shares[teamId] ?? ''}
              onChange={(event) => edit({ shares: { ...brief.shares, [teamId]: event.target.value } })}
            />
          </div>
        );
      })}
      <div className="field">
        <label className="field-label" htmlFor={`${ids}-interfaces`}>
          Interfaces between teams
        </label>
        <textarea
          id={`${ids}-interfaces`}
          className="input textarea"
          rows={3}
          readOnly={!open}
          value={brief.interfaces}
          onChange={(event) => edit({ interfaces: event.target.value })}
        />
      </div>
      {open ? (
        <>
          <div className="inbox-buttons">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void approve()}>
              Approve the brief
            </button>
            {busy ? <span className="spinner" role="status" aria-label="Sending the decision" /> : null}
          </div>
          <label className="field-label" htmlFor={`${ids}-comment`}>
            Comment for the director
          </label>
          <textarea
            id={`${ids}-comment`}
            ref={commentRef}
            className="input textarea"
            rows={2}
            placeholder="What the next draft should change. Ctrl+Enter sends it back."
            value={comment}
            onChange={(event) => setComment(event.target.value)}
            onKeyDown={(event) => {
              // Sent only with a comment: an empty one is never a silent send-back.
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                if (!busy && comment.trim() !== '') sendBack();
              } else if (event.key === 'Escape') {
                event.currentTarget.blur();
                // In the Inbox, back to the selected row so j/k/a work again.
                document.querySelector<HTMLElement>('.inbox-row[aria-current="true"] .inbox-row-main')?.focus();
              }
            }}
          />
          <div className="inbox-buttons">
            <button
              type="button"
              className="btn"
              disabled={busy || comment.trim() === ''}
              onClick={sendBack}
            >
              Send back to the director
            </button>
          </div>
          {error ? (
            <div className="inline-error" role="alert">
              {error}
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
