import { useState } from 'react';
import type { EscalationView } from '../../../../src/shared/mission.js';
import { ChangeReview } from './change-review.js';

/**
 * The mission page's "Review changes": while a final merge (or a merge conflict) waits for
 * the person, the change it would make, the same view as in the Inbox. Fetched on opening.
 */
export function MissionChanges({ escalations }: { escalations: readonly EscalationView[] }) {
  const pending =
    escalations.find((e) => e.state === 'open' && e.type === 'final_merge') ??
    escalations.find((e) => e.state === 'open' && e.type === 'merge_conflict');
  const [open, setOpen] = useState(false);
  if (!pending) return null;
  return (
    <details
      className="card review-disclosure"
      open={open}
      onToggle={(event) => setOpen(event.currentTarget.open)}
    >
      <summary className="section-title">
        Review changes{' '}
        {pending.type === 'final_merge' ? 'before the final merge' : 'of the conflicting merge'}
      </summary>
      {open ? <ChangeReview request={{ escalationId: pending.id }} /> : null}
    </details>
  );
}
