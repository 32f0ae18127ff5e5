import { lazy, Suspense, type ComponentProps } from 'react';

// The viewer and its libraries (react-diff-view, Prism grammars) are a chunk of their own,
// fetched the first time a diff is shown rather than with the app.
const Viewer = lazy(() => import('./diff-viewer.js').then((m) => ({ default: m.DiffViewer })));

/** The diff viewer, loaded on first use; the file list and summary show meanwhile. */
export function DiffViewer(props: ComponentProps<typeof Viewer>) {
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the diff viewer…
        </p>
      }
    >
      <Viewer {...props} />
    </Suspense>
  );
}
