import type { RuntimeStatus } from '../../../shared/contract/runtimes.js';
import { probeClaudeCode, type ClaudeCodeStatus } from '../../engine/runtimes/claude-code-probe.js';
import type { Handlers } from '../dispatch.js';

export interface RuntimesHandlerDeps {
  /** Claude Code's availability; the real probe (cached per binary) unless a test swaps it. */
  probeClaudeCode: () => Promise<ClaudeCodeStatus>;
}

const BUILT_IN: RuntimeStatus = { runtime: 'built-in', available: true, version: null, reason: null };

/** Handlers for questions about the agent runtimes this machine can start. */
export function runtimesHandlers(
  deps: RuntimesHandlerDeps = { probeClaudeCode: () => probeClaudeCode() },
): Pick<Handlers, 'runtimes:get-status'> {
  return {
    // The built-in loop is part of the engine: if the engine answers, it can run it.
    'runtimes:get-status': async () => ({ runtimes: [BUILT_IN, await deps.probeClaudeCode()] }),
  };
}
