import { useStore } from '../store/index.js';

/** Said once, at the top, instead of every failed action repeating it. */
export function ConnectionBanner() {
  const lost = useStore((s) => s.connectionLost);
  const reconnectNow = useStore((s) => s.reconnectNow);
  if (!lost) return null;
  return (
    <div className="banner banner-warn" role="alert">
      <span>
        The connection to the Control Room engine was lost. Reconnecting… Your unsaved edits are kept.
      </span>
      <button type="button" className="btn btn-small" onClick={reconnectNow}>
        Retry now
      </button>
    </div>
  );
}
