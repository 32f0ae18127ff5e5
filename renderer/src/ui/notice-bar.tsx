import type { Notice } from '../store/index.js';

/** Success is announced politely; a failure interrupts (role=alert) because it needs action. */
export function NoticeBar({ notice, onDismiss }: { notice: Notice | null; onDismiss(): void }) {
  if (!notice) return null;
  return (
    <div className={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
      <span className="notice-text">{notice.text}</span>
      <button
        type="button"
        className="btn btn-ghost btn-small"
        onClick={onDismiss}
        aria-label="Dismiss message"
      >
        ✕
      </button>
    </div>
  );
}
