import type { FileChange } from '../../../../src/shared/review.js';
import './review.css';

// What the file list, the summary and the diff viewer share, kept apart from the viewer:
// react-diff-view and Prism are loaded only once a diff is on screen (`lazy-diff-viewer.tsx`).

/** Files opened at first: the rest wait for a click, so a large change renders at once. */
export const OPEN_AT_FIRST = 5;
/** A file with more changed lines than this starts closed, and is not highlighted. */
export const LARGE_FILE_LINES = 1_500;

/** A stable id for a file's section, so the file list can jump to it. */
export function fileAnchor(prefix: string, path: string): string {
  return `${prefix}-${path.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

/** The lines a file's change adds and removes. */
export function changedLines(f: FileChange): number {
  return (f.additions ?? 0) + (f.deletions ?? 0);
}

/** The paths a review opens at first: the first few files that are not large. */
export function initiallyOpen(files: readonly FileChange[]): Set<string> {
  return new Set(
    files
      .filter((f) => f.patch !== '' && changedLines(f) <= LARGE_FILE_LINES)
      .slice(0, OPEN_AT_FIRST)
      .map((f) => f.path),
  );
}

/** A file's +additions −deletions, or "binary". */
export function Counts({ file }: { file: Pick<FileChange, 'additions' | 'deletions'> }) {
  if (file.additions === null) return <span className="muted review-counts">binary</span>;
  return (
    <span className="review-counts">
      <span className="diff-plus">+{file.additions}</span>{' '}
      <span className="diff-minus">−{file.deletions ?? 0}</span>
    </span>
  );
}
