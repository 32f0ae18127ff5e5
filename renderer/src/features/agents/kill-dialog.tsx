import type { KillText } from '../../domain/kill-text.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';

/** A confirmation that lists what a kill loses and what it keeps. */
export function KillDialog({
  text,
  busy,
  onConfirm,
  onCancel,
}: {
  text: KillText | null;
  busy?: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <ConfirmDialog
      open={text !== null}
      title={text?.title ?? ''}
      confirmLabel={text?.confirm ?? 'Confirm'}
      tone="danger"
      busy={busy ?? false}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      {text ? (
        <div className="kill-text">
          <p className="kill-heading">What stops</p>
          <ul className="kill-list kill-lost">
            {text.lost.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <p className="kill-heading">What is kept</p>
          <ul className="kill-list kill-kept">
            {text.kept.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </ConfirmDialog>
  );
}
