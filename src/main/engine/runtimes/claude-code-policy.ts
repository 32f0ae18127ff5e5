import { decide, isAsk, type AgentPolicy } from '../escalations/permission-policy.js';
import type { PolicyVerdict } from './claude-code-session.js';

/**
 * What a Claude Code session's `PreToolUse` hook (and its `canUseTool`) answers for one
 * tool use: the engine's one permission policy (`escalations/permission-policy.ts`), the
 * same that decides a built-in agent's commands, in the session's terms. Both kinds of ask
 * are the session's `ask`: it waits in `canUseTool` while the driver raises the ask to
 * whoever the policy names (`ClaudeCodeDriver.askPermission`).
 */
export function decideToolUse(policy: AgentPolicy, toolName: string, input: Record<string, unknown>): PolicyVerdict {
  const verdict = decide({ tool: toolName, input }, policy);
  return isAsk(verdict) ? { behavior: 'ask', reason: verdict.reason } : verdict;
}
