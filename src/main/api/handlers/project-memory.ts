import { resolve } from 'node:path';
import { readProjectMemory } from '../../engine/project-memory.js';
import type { Handlers } from '../dispatch.js';

/**
 * `missions:check-project-memory`: the facts of a repository's CLAUDE.md for the launch
 * form's warning. Read-only; a folder without one (or that does not exist) answers null,
 * since the launch itself says what is wrong with the path.
 */
export function projectMemoryHandlers(): Pick<Handlers, 'missions:check-project-memory'> {
  return {
    'missions:check-project-memory': ({ repoPath }) => readProjectMemory(resolve(repoPath))?.info ?? null,
  };
}
