import { useMemo, useState } from 'react';
import { Diff, Hunk, parseDiff, tokenize, type HunkTokens, type ViewType } from 'react-diff-view';
import 'react-diff-view/style/index.css';
import type { FileChange } from '../../../../src/shared/review.js';
import { changedLines, Counts, fileAnchor, LARGE_FILE_LINES } from './files.js';
import { diffRefractor, languageOf } from './highlight.js';

const STATUS_LABEL: Record<FileChange['status'], string> = {
  added: 'added',
  modified: 'modified',
  deleted: 'deleted',
  'type-changed': 'type changed',
  other: 'changed',
};

/**
 * A change's files as diffs (react-diff-view: unified or side by side, Prism highlighting),
 * one collapsible section per file: only open files are parsed and rendered, and large or
 * later files start closed, so a change of hundreds of files stays responsive.
 */
export function DiffViewer({
  files,
  idPrefix,
  open,
  onToggle,
}: {
  files: readonly FileChange[];
  idPrefix: string;
  /** The paths shown open; owned by the caller so its file list can open one. */
  open: ReadonlySet<string>;
  onToggle(path: string): void;
}) {
  const [viewType, setViewType] = useState<ViewType>('unified');
  if (files.length === 0) return <p className="muted">No files changed.</p>;
  return (
    <div className="review-diff">
      <div className="review-diff-toolbar" role="group" aria-label="Diff layout">
        <button
          type="button"
          className={`btn btn-small${viewType === 'unified' ? ' btn-primary' : ''}`}
          aria-pressed={viewType === 'unified'}
          onClick={() => setViewType('unified')}
        >
          Unified
        </button>
        <button
          type="button"
          className={`btn btn-small${viewType === 'split' ? ' btn-primary' : ''}`}
          aria-pressed={viewType === 'split'}
          onClick={() => setViewType('split')}
        >
          Side by side
        </button>
      </div>
      {files.map((f) => (
        <FileDiff
          key={f.path}
          file={f}
          id={fileAnchor(idPrefix, f.path)}
          viewType={viewType}
          open={open.has(f.path)}
          onToggle={() => onToggle(f.path)}
        />
      ))}
    </div>
  );
}

function FileDiff({
  file,
  id,
  viewType,
  open,
  onToggle,
}: {
  file: FileChange;
  id: string;
  viewType: ViewType;
  open: boolean;
  onToggle(): void;
}) {
  return (
    <section className="review-file" id={id} aria-label={`Diff of ${file.path}`}>
      <h5 className="review-file-head">
        <button type="button" className="review-file-toggle" aria-expanded={open} onClick={onToggle}>
          <span aria-hidden="true">{open ? '▾' : '▸'}</span> <code>{file.path}</code>
        </button>
        <span className={`review-status review-status-${file.status}`}>{STATUS_LABEL[file.status]}</span>
        <Counts file={file} />
      </h5>
      {open ? <FileBody file={file} viewType={viewType} /> : null}
    </section>
  );
}

function FileBody({ file, viewType }: { file: FileChange; viewType: ViewType }) {
  const parsed = useMemo(
    () => (file.patch ? parseDiff(file.patch, { nearbySequences: 'zip' })[0] : undefined),
    [file.patch],
  );
  const language = languageOf(file.path);
  const tokens = useMemo((): HunkTokens | undefined => {
    if (!parsed || !language || changedLines(file) > LARGE_FILE_LINES) return undefined;
    try {
      return tokenize(parsed.hunks, { highlight: true, refractor: diffRefractor as never, language });
    } catch {
      // A grammar that chokes on odd input: the diff is still readable without colours.
      return undefined;
    }
  }, [parsed, language, file]);

  if (!file.patch) {
    return (
      <p className="muted review-file-note">
        {file.truncated
          ? 'This file’s diff was left out: the change is over its size limit.'
          : 'No text diff (a mode change or a binary file).'}
      </p>
    );
  }
  if (!parsed || parsed.hunks.length === 0) {
    return (
      <p className="muted review-file-note">
        {file.additions === null ? 'Binary file.' : 'No text changes.'}
      </p>
    );
  }
  return (
    <>
      <Diff viewType={viewType} diffType={parsed.type} hunks={parsed.hunks} {...(tokens ? { tokens } : {})}>
        {(hunks) => hunks.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
      </Diff>
      {file.truncated ? (
        <p className="muted review-file-note">This file’s diff was cut short at its size limit.</p>
      ) : null}
    </>
  );
}
