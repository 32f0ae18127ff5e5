import { z } from 'zod';
import type { AgentRuntime } from '../team.js';
import { command } from './define.js';

/** Whether one agent runtime can start agents on the machine the engine runs on. */
export interface RuntimeStatus {
  runtime: AgentRuntime;
  available: boolean;
  /** The runtime's own version when it reports one (Claude Code's `claude --version`). */
  version: string | null;
  /** Why it is unavailable, in one line a person can act on; null when available. */
  reason: string | null;
}

export interface RuntimesStatus {
  /** Every runtime of AGENT_RUNTIMES, in that order. */
  runtimes: RuntimeStatus[];
}

export const runtimesCommands = {
  /**
   * Which agent runtimes can start here. Answered from a cache after the first call: the
   * designer asks once, to mark agents whose runtime cannot start.
   */
  'runtimes:get-status': command<RuntimesStatus>()(z.object({}).strict()),
};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no runtimes events yet; kept so every domain has the same shape
export interface RuntimesEvents {}
