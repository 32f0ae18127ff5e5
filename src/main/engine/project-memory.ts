import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_MEMORY_FILE, projectMemoryInfo, type ProjectMemoryInfo } from '../../shared/project-memory.js';

/** A repository's CLAUDE.md: its text and facts. */
export interface ProjectMemory {
  text: string;
  info: ProjectMemoryInfo;
}

/**
 * The CLAUDE.md at the root of `dir` (a repository or a worktree of it), or null when
 * there is none or it cannot be read: project memory is advice, never a reason to fail.
 */
export function readProjectMemory(dir: string): ProjectMemory | null {
  const path = join(dir, PROJECT_MEMORY_FILE);
  try {
    if (!statSync(path).isFile()) return null;
    const text = readFileSync(path, 'utf8');
    return { text, info: projectMemoryInfo(path, text) };
  } catch {
    return null;
  }
}
