// Reading which files git says changed: in a diff, and uncommitted in a checkout.

import { splitNul } from './git.js';
import type { ChangedFile } from './mission-workspace.js';

/** Paths from `git status --porcelain -z` (renames carry their source as an extra field). */
export function parseStatusPaths(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    paths.push(field.slice(3));
    if (field[0] === 'R' || field[0] === 'C') i++;
  }
  return paths;
}

/** A diff's files from its `--numstat -z` and `--name-status -z` outputs (null counts for binary files). */
export function parseChangedFiles(numstat: string, nameStatus: string): ChangedFile[] {
  const statuses = new Map<string, ChangedFile['status']>();
  const fields = splitNul(nameStatus);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const letter = fields[i]?.[0];
    const path = fields[i + 1] ?? '';
    statuses.set(
      path,
      letter === 'A'
        ? 'added'
        : letter === 'M'
          ? 'modified'
          : letter === 'D'
            ? 'deleted'
            : letter === 'T'
              ? 'type-changed'
              : 'other',
    );
  }
  return splitNul(numstat).map((entry) => {
    const [added = '-', deleted = '-', ...rest] = entry.split('\t');
    const path = rest.join('\t');
    return {
      path,
      status: statuses.get(path) ?? 'other',
      additions: added === '-' ? null : Number(added),
      deletions: deleted === '-' ? null : Number(deleted),
    };
  });
}
