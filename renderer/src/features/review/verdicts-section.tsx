import type { ReviewVerdict } from '../../../../src/shared/review.js';
import { formatDateTime } from '../../lib/format.js';

/** The leaders' verdicts on the submissions of the change's tasks, oldest first. */
export function VerdictsSection({ verdicts }: { verdicts: readonly ReviewVerdict[] }) {
  return (
    <section className="review-section" aria-label="Leaders’ reviews">
      <h4 className="inbox-section-title">Leaders’ reviews</h4>
      {verdicts.length === 0 ? (
        <p className="muted">No submission of these tasks has been reviewed yet.</p>
      ) : (
        <ul className="review-verdicts">
          {verdicts.map((v) => (
            <li key={`${v.taskId}-${v.at}-${v.verdict}`}>
              <span className={`badge ${v.verdict === 'approve' ? 'badge-success' : 'badge-danger'}`}>
                {v.verdict === 'approve' ? 'Approved' : 'Sent back'}
              </span>{' '}
              <strong>{v.taskTitle}</strong>
              <span className="muted">
                {' '}
                · attempt {v.attempt}
                {v.reviewer ? ` · ${v.reviewer}` : ''} · {formatDateTime(v.at)}
              </span>
              {v.feedback ? <p className="review-feedback">{v.feedback}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
