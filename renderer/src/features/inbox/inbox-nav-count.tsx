import { useMemo } from 'react';
import { needsYouCount, needsYouLabel } from '../../domain/inbox-model.js';
import { useStore } from '../../store/index.js';
import './inbox.css';

/**
 * Beside "Inbox" in the navigation: how many open items need the person. Looking at an
 * item does not decide it, so it stays counted; new ones make the badge stand out.
 */
export function InboxNavCount() {
  const byId = useStore((s) => s.escalations);
  const seen = useStore((s) => s.inboxSeen);
  const count = useMemo(() => needsYouCount(Object.values(byId), new Set(seen)), [byId, seen]);
  if (count.total === 0) return null;
  const label = needsYouLabel(count);
  return (
    <span className={`nav-count${count.unread === 0 ? ' is-seen' : ''}`} role="status" aria-label={label} title={label}>
      {count.total > 99 ? '99+' : count.total}
    </span>
  );
}
