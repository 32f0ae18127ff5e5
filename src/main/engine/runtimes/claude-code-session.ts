import {
  createSdkMcpServer,
  query,
  tool,
  type CanUseTool,
  type HookCallback,
  type McpServerConfig,
  type Options,
  type SDKMessage,
} from '@anthropic-ai/claude-agent-sdk';
import type { z } from 'zod';
import type { ClaudeCodeSpec, McpServerSpec } from '../../../shared/team.js';
import { buildCommandEnv } from '../../workspace/commands.js';

/**
 * One Claude Code session, through @anthropic-ai/claude-agent-sdk: the SDK starts Claude
 * Code's bundled binary in the agent's worktree and streams its messages back. This file
 * knows the SDK and nothing of missions; `claude-code.ts` binds a session to an agent's job.
 *
 * What keeps a session inside Control Room's rules:
 * - Its environment is built here from nothing: the gateway's URL and a per-agent token
 *   instead of any real key, its own config folder, no variable of ours it did not need.
 * - Every tool use passes the `PreToolUse` hook, which runs whatever the repository's own
 *   `.claude/settings.json` allows; a use outside the agent's policy is turned into a
 *   permission request (`ask`) and `canUseTool` waits for the person's answer.
 * - Control Room's orchestration tools are an in-process MCP server named `control-room`.
 */

/** The MCP server name of Control Room's own tools; its tools reach the model as `mcp__control-room__<name>`. */
export const ORCHESTRATION_SERVER = 'control-room';
/** What the model calls Control Room's tool `name`: `mcp__control-room__<name>`. */
export const ORCHESTRATION_PREFIX = `mcp__${ORCHESTRATION_SERVER}__`;

/** A Control Room tool offered to the session (create_task, submit_task, ask_leader…). */
export interface OrchestrationTool {
  name: string;
  description: string;
  schema: z.ZodObject;
  /** Runs the tool; `toolUseId` is the model's id for this call (stable across a wait). */
  run(input: Record<string, unknown>, toolUseId: string): Promise<{ content: string; isError?: boolean }>;
}

/** What the policy says of one tool use before it runs. */
export type PolicyVerdict =
  | { behavior: 'allow' }
  /** Outside the agent's policy: the person (or the leader) decides. */
  | { behavior: 'ask'; reason: string }
  /** Never allowed (a tool the design did not give this agent). */
  | { behavior: 'deny'; reason: string };

export type PermissionAnswer = { allow: true } | { allow: false; message: string };

export interface ClaudeCodeSessionOptions {
  /** Claude Code's binary (the SDK's platform package). */
  binaryPath: string;
  cwd: string;
  model: string;
  /** The role's instructions, appended to Claude Code's own system prompt. */
  systemPrompt: string;
  /** The job's first user message. */
  prompt: string;
  /** Claude Code's built-in tools the model is offered. */
  tools: ClaudeCodeSpec['allowedTools'];
  orchestration: readonly OrchestrationTool[];
  mcpServers: readonly McpServerSpec[];
  /** Where the session's model calls go (the loopback gateway) and the token that attributes them. */
  gateway: { url: string; token: string };
  /** CLAUDE_CONFIG_DIR: sessions are stored (and resumed) here, apart from the person's own ~/.claude. */
  configDir: string;
  /** The id of a session to resume (after a restart). */
  resume?: string | undefined;
  policy(toolName: string, input: Record<string, unknown>): PolicyVerdict;
  /** Called for a use the policy asked about; resolves with the decision (it may wait for the inbox). */
  askPermission(
    request: { toolName: string; input: Record<string, unknown>; toolUseId: string | undefined; reason: string },
    signal: AbortSignal,
  ): Promise<PermissionAnswer>;
  onMessage(message: SDKMessage): void;
  /** Aborting ends the session: the SDK kills the Claude Code process. */
  signal: AbortSignal;
  maxTurns?: number;
  /** One line of Claude Code's stderr (diagnostics; never contains the real key, which it never had). */
  onStderr?: (line: string) => void;
}

export interface ClaudeCodeSessionEnd {
  sessionId: string | null;
  outcome: 'completed' | 'error' | 'aborted';
  /** One line saying why, for `error`. */
  error?: string;
  turns: number;
}

/**
 * The variable Claude Code reads for its auto-compact threshold, a percentage of the
 * context window (the bundled binary's `parseFloat(process.env.CLAUDE_AUTOCOMPACT_PCT_OVERRIDE)`;
 * a test checks that the binary installed still reads it).
 */
export const CLAUDE_CODE_AUTOCOMPACT_ENV = 'CLAUDE_AUTOCOMPACT_PCT_OVERRIDE';
/** 60 %: the share of the window at which built-in agents compact (mission-engine's COMPACT_AT). */
export const CLAUDE_CODE_AUTOCOMPACT_PCT = 60;

/**
 * The session's environment: the same safe base as a mission command (PATH, HOME, locale,
 * temp dirs; never an `ANTHROPIC_*` variable of ours), then the gateway's URL and the
 * agent's token. A real API key in Control Room's environment never reaches Claude Code or
 * the commands it runs; the token is worthless off this machine and dies with the session.
 */
export function sessionEnv(gateway: { url: string; token: string }, configDir: string): Record<string, string> {
  return {
    ...buildCommandEnv(),
    ANTHROPIC_BASE_URL: gateway.url,
    ANTHROPIC_API_KEY: gateway.token,
    CLAUDE_CONFIG_DIR: configDir,
    CLAUDE_AGENT_SDK_CLIENT_APP: 'control-room',
    // No update checks, telemetry, error reports or other calls that bypass the gateway.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // Claude Code picks models for its own background work (and resolves aliases) by these;
    // the gateway prices only the ids Control Room knows, so they are pinned to those.
    ANTHROPIC_SMALL_FAST_MODEL: 'claude-haiku-4-5',
    ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5',
    ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6',
    ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-8',
    // Compact at the same share of the context as built-in agents, so a long task costs
    // the same on either runtime and no session runs into its window's end.
    [CLAUDE_CODE_AUTOCOMPACT_ENV]: String(CLAUDE_CODE_AUTOCOMPACT_PCT),
  };
}

/** The design's MCP servers as the SDK's config, beside Control Room's own. */
export function mcpConfig(servers: readonly McpServerSpec[]): Record<string, McpServerConfig> {
  const out: Record<string, McpServerConfig> = {};
  for (const s of servers) {
    out[s.name] = s.type === 'stdio' ? { type: 'stdio', command: s.command, args: [...s.args] } : { type: s.type, url: s.url };
  }
  return out;
}

/** A key for matching a tool use seen by the hook with the MCP call that follows it. */
function useKey(name: string, input: unknown): string {
  return `${name}\n${JSON.stringify(input)}`;
}

/**
 * Runs one session to its end: the model's last turn, an error, or the abort signal.
 * Never throws for what the session did; a binary that cannot start is an `error` end
 * with Claude Code's own first line of explanation.
 */
export async function runClaudeCodeSession(options: ClaudeCodeSessionOptions): Promise<ClaudeCodeSessionEnd> {
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  if (options.signal.aborted) abort.abort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  // The hook sees each tool use's id; the in-process MCP handler does not, so ids wait
  // here, by tool name and input, until the call they belong to arrives.
  const pendingIds = new Map<string, string[]>();
  const orchestrationNames = new Set(options.orchestration.map((t) => ORCHESTRATION_PREFIX + t.name));

  const server = createSdkMcpServer({
    name: ORCHESTRATION_SERVER,
    version: '1.0.0',
    alwaysLoad: true,
    tools: options.orchestration.map((t) =>
      tool(t.name, t.description, t.schema.shape, async (args: Record<string, unknown>) => {
        const key = useKey(ORCHESTRATION_PREFIX + t.name, args);
        const queue = pendingIds.get(key);
        const toolUseId = queue?.shift() ?? `cc_${t.name}_${Date.now().toString(36)}`;
        if (queue && queue.length === 0) pendingIds.delete(key);
        const result = await t.run(args, toolUseId);
        return { content: [{ type: 'text' as const, text: result.content }], ...(result.isError ? { isError: true } : {}) };
      }),
    ),
  });

  const preToolUse: HookCallback = (input) => {
    if (input.hook_event_name !== 'PreToolUse') return Promise.resolve({});
    const toolInput = (input.tool_input ?? {}) as Record<string, unknown>;
    if (orchestrationNames.has(input.tool_name)) {
      const key = useKey(input.tool_name, toolInput);
      const queue = pendingIds.get(key) ?? [];
      queue.push(input.tool_use_id);
      pendingIds.set(key, queue);
    }
    const verdict = options.policy(input.tool_name, toolInput);
    return Promise.resolve({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse' as const,
        // `ask` sends the use to canUseTool even where a settings file would allow it.
        permissionDecision: verdict.behavior,
        ...(verdict.behavior === 'allow' ? {} : { permissionDecisionReason: verdict.reason }),
      },
    });
  };

  const canUseTool: CanUseTool = async (toolName, input, { signal, toolUseID }) => {
    const verdict = options.policy(toolName, input);
    if (verdict.behavior === 'allow') return { behavior: 'allow', updatedInput: input };
    if (verdict.behavior === 'deny') return { behavior: 'deny', message: verdict.reason };
    const answer = await options.askPermission({ toolName, input, toolUseId: toolUseID, reason: verdict.reason }, signal);
    return answer.allow ? { behavior: 'allow', updatedInput: input } : { behavior: 'deny', message: answer.message };
  };

  const sdkOptions: Options = {
    abortController: abort,
    cwd: options.cwd,
    model: options.model,
    pathToClaudeCodeExecutable: options.binaryPath,
    systemPrompt: { type: 'preset', preset: 'claude_code', append: options.systemPrompt },
    // 'project' is what makes Claude Code read the repository's CLAUDE.md; user and local
    // settings (the person's own ~/.claude) stay out of an agent's session.
    settingSources: ['project'],
    tools: [...options.tools],
    // No allowedTools: a bare entry there would approve a tool before the hook and
    // canUseTool see it. The hook allows what the policy allows, Control Room's tools included.
    mcpServers: { ...mcpConfig(options.mcpServers), [ORCHESTRATION_SERVER]: server },
    permissionMode: 'default',
    canUseTool,
    hooks: { PreToolUse: [{ hooks: [preToolUse], onFailure: 'block' }] },
    env: sessionEnv(options.gateway, options.configDir),
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.maxTurns ? { maxTurns: options.maxTurns } : {}),
    stderr: (data) => {
      for (const line of data.split('\n')) if (line.trim() !== '') options.onStderr?.(line);
    },
  };

  let sessionId: string | null = options.resume ?? null;
  let turns = 0;
  let failure: string | undefined;
  try {
    const session = query({ prompt: options.prompt, options: sdkOptions });
    for await (const message of session) {
      if ('session_id' in message && typeof message.session_id === 'string') sessionId = message.session_id;
      if (message.type === 'assistant') turns += 1;
      if (message.type === 'result') {
        if (message.subtype !== 'success') failure = resultError(message);
        else if (message.is_error) failure = firstLine(message.result) ?? 'Claude Code reported an error';
      }
      options.onMessage(message);
    }
  } catch (error) {
    if (abort.signal.aborted) return { sessionId, outcome: 'aborted', turns };
    return { sessionId, outcome: 'error', error: firstLine((error as Error)?.message) ?? String(error), turns };
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
  if (abort.signal.aborted) return { sessionId, outcome: 'aborted', turns };
  return failure ? { sessionId, outcome: 'error', error: failure, turns } : { sessionId, outcome: 'completed', turns };
}

function resultError(message: Extract<SDKMessage, { type: 'result' }>): string {
  if (message.subtype === 'success') return '';
  const detail = 'errors' in message && message.errors.length > 0 ? `: ${message.errors[0]}` : '';
  return firstLine(`Claude Code stopped (${message.subtype})${detail}`) ?? message.subtype;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? undefined : line.trim().slice(0, 500);
}
