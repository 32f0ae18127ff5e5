import { useMemo } from 'react';
import { unreadCount } from '../../domain/inbox-model.js';
import { useStore } from '../../store/index.js';
import './inbox.css';

/** The unread count beside "Inbox" in the navigation; nothing when all is read. */
export function InboxNavCount() {
  const byId = useStore((s) => s.escalations);
  const seen = useStore((s) => s.inboxSeen);
  const count = useMemo(() => unreadCount(Object.values(byId), new Set(seen)), [byId, seen]);
  if (count === 0) return null;
  return (
    <span className="nav-count" role="status" aria-label={`${count} unread`}>
      {count > 99 ? '99+' : count}
    </span>
  );
}
