import { z } from 'zod';
import { command } from './define.js';

/** A file the agent's branch changed; counts are null for binary files. */
export interface AgentDiffFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'type-changed' | 'other';
  additions: number | null;
  deletions: number | null;
}

/**
 * A coder's committed work: its branch against the merge-base with its team branch.
 * Uncommitted edits in the worktree are not in it (the engine commits on submit).
 */
export interface AgentDiff {
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
