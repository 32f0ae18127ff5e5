import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ChangeReviewRequest } from '../../../../src/shared/contract/reviews.js';
import { formatUsd } from '../../../../src/shared/money.js';
import type { ChangeReview as Review } from '../../../../src/shared/review.js';
import { formatDateTime, plural } from '../../lib/format.js';
import { changeReviewKey, useStore } from '../../store/index.js';
import { isTypingTarget } from '../inbox/use-inbox-keys.js';
import { initiallyOpen } from './files.js';
import { DiffViewer } from './lazy-diff-viewer.js';
import { FileList } from './file-list.js';
import { TestsSection } from './tests-section.js';
import { VerdictsSection } from './verdicts-section.js';

/**
 * What an approval would change, to judge before deciding: the files with their counts,
 * the diff, the tests that ran, the leaders' verdicts and the cost. Fetched when shown.
 * With `shortcut`, the key `v` (while nobody types) moves the focus to it.
 */
export function ChangeReview({
  request,
  shortcut = false,
}: {
  request: ChangeReviewRequest;
  shortcut?: boolean;
}) {
  const key = changeReviewKey(request);
  const state = useStore((s) => s.changeReviews[key]);
  const load = useStore((s) => s.loadChangeReview);
  const ids = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // The request object is new on every render; its key says when it changed.
  const requestRef = useRef(request);
  useEffect(() => {
    requestRef.current = request;
  });
  useEffect(() => {
    void load(requestRef.current);
  }, [key, load]);

  useEffect(() => {
    if (!shortcut) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'v' || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey)
        return;
      if (isTypingTarget(event.target) || document.querySelector('dialog[open]')) return;
      event.preventDefault();
      headingRef.current?.scrollIntoView({ block: 'start' });
      headingRef.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [shortcut]);

  const review = state?.review ?? null;
  return (
    <section className="review" aria-labelledby={`${ids}-title`}>
      <div className="review-head">
        <h4 id={`${ids}-title`} ref={headingRef} tabIndex={-1} className="inbox-section-title">
          Changes{review ? `: ${review.title}` : ''} {shortcut ? <kbd>v</kbd> : null}
        </h4>
        <button
          type="button"
          className="btn btn-small"
          disabled={state?.status === 'loading'}
          onClick={() => void load(request)}
        >
          {state?.status === 'loading' ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {state?.status === 'error' ? (
        <div className="inline-error" role="alert">
          Could not load the changes: {state.error}
        </div>
      ) : null}
      {review ? (
        <ReviewBody review={review} idPrefix={ids.replace(/:/g, '')} />
      ) : state?.status !== 'error' ? (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the changes…
        </p>
      ) : null}
    </section>
  );
}

function ReviewBody({ review, idPrefix }: { review: Review; idPrefix: string }) {
  const [open, setOpen] = useState<Set<string>>(() => initiallyOpen(review.files));
  // A new answer (a refresh, another item) opens its own first files.
  const [shownFor, setShownFor] = useState(review);
  if (shownFor !== review) {
    setShownFor(review);
    setOpen(initiallyOpen(review.files));
  }
  const taskTitles = useMemo(
    () => new Map(review.verdicts.map((v) => [v.taskId, v.taskTitle])),
    [review.verdicts],
  );
  const toggle = (path: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  return (
    <>
      <dl className="review-summary" aria-label="Summary of the change">
        <dt>Files</dt>
        <dd>
          {plural(review.files.length, 'file')} · <span className="diff-plus">+{review.additions}</span>{' '}
          <span className="diff-minus">−{review.deletions}</span>
        </dd>
        <dt>Cost</dt>
        <dd>
          {formatUsd(review.costNanoUsd)}{' '}
          <span className="muted">({plural(review.calls, 'model call')})</span>
        </dd>
        <dt>Compared</dt>
        <dd>
          <code title={review.base}>{review.base.slice(0, 12)}</code> →{' '}
          <code title={review.head}>{review.head.slice(0, 12)}</code>{' '}
          <span className="muted">({review.headRef})</span>
        </dd>
      </dl>
      {review.truncated ? (
        <p className="muted">
          Some files’ diffs are cut short or left out: the change is over the size limit.
        </p>
      ) : null}
      {review.files.length > 0 ? (
        <FileList
          files={review.files}
          idPrefix={idPrefix}
          onOpen={(path) => setOpen((c) => new Set(c).add(path))}
        />
      ) : null}
      <DiffViewer files={review.files} idPrefix={idPrefix} open={open} onToggle={toggle} />
      {review.commits.length > 0 ? (
        <details className="review-section">
          <summary>{plural(review.commits.length, 'commit')}</summary>
          <ul className="review-commits">
            {review.commits.map((c) => (
              <li key={c.sha}>
                <code>{c.sha.slice(0, 10)}</code> {c.subject}{' '}
                <span className="muted">
                  · {c.author} · {formatDateTime(c.at)}
                </span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <TestsSection tests={review.tests} taskTitles={taskTitles} />
      <VerdictsSection verdicts={review.verdicts} />
    </>
  );
}
