import type { FileChange } from '../../../../src/shared/review.js';
import { Counts, fileAnchor } from './files.js';

/** The files of a change with their counts; choosing one opens its diff and scrolls to it. */
export function FileList({
  files,
  idPrefix,
  onOpen,
}: {
  files: readonly FileChange[];
  idPrefix: string;
  onOpen(path: string): void;
}) {
  return (
    <ul className="review-files" aria-label="Changed files">
      {files.map((f) => (
        <li key={f.path}>
          <button
            type="button"
            className="review-file-link"
            onClick={() => {
              onOpen(f.path);
              // After the open file has rendered.
              requestAnimationFrame(() => {
                const section = document.getElementById(fileAnchor(idPrefix, f.path));
                section?.scrollIntoView({ block: 'start' });
                section?.querySelector<HTMLElement>('.review-file-toggle')?.focus({ preventScroll: true });
              });
            }}
          >
            <code>{f.path}</code>
          </button>
          <span className={`review-status review-status-${f.status}`}>
            {f.status === 'type-changed' ? 'type' : f.status}
          </span>
          <Counts file={f} />
        </li>
      ))}
    </ul>
  );
}
