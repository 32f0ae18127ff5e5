import { z } from 'zod';
import type { CommitInfo, FileChange } from '../review.js';
import { command } from './define.js';

/** A file the agent's branch changed; counts are null for binary files. */
export interface AgentDiffFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type-changed' | 'other';
  additions: number | null;
  deletions: number | null;
}

/**
 * A coder's work. While it works (`work-in-progress`): its branch and its worktree's
 * uncommitted edits and new files against where its current task started (the merge-base
 * with its team branch). Once its work is merged and it holds nothing new
 * (`contributed`): the change its latest merged task brought, and the commits it
 * contributed. `none`: nothing yet.
 */
export interface AgentDiff {
  mode: 'work-in-progress' | 'contributed' | 'none';
  /** The task the change belongs to (the current one, or the latest merged one). */
  taskId: string | null;
  /** True when some of the work in progress is not committed yet. */
  uncommitted: boolean;
  /** The change file by file, each with its own patch. */
  changes: FileChange[];
  /** The commits the coder contributed through its merged tasks, newest first. */
  commits: CommitInfo[];
  missionId: string;
  agentId: string;
  /** The coder's branch, as `git branch` shows it. */
  branch: string;
  base: string;
  head: string;
  files: AgentDiffFile[];
  additions: number;
  deletions: number;
  /** The unified diff, cut at a line boundary when over the size cap. */
  diff: string;
  truncated: boolean;
}

const id = z.string().min(1, 'must not be empty').max(64);

/**
 * Agent commands beyond the missions domain's lifecycle ones. Kept in their own file so
 * the mission contract stays the engine's, and the agents screen's additions stay here.
 */
export const agentsCommands = {
  'agents:get-diff': command<AgentDiff>()(z.object({ missionId: id, agentId: id }).strict()),
};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no events of its own: agents:changed is the missions domain's
export interface AgentsEvents {}
