import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { FORWARD_UNSUPPORTED_MESSAGE } from '../calls/gateway.js';
import { startGatewayServer, type GatewayServer } from '../calls/gateway-server.js';
import type { ClaudeCodeEnvironment } from '../engine/runtimes/claude-code.js';
import { claudeCodeMissingReason, resolveClaudeCodeBinary } from '../engine/runtimes/claude-code-probe.js';
import { AgentSessionsRepository } from '../ledger/agent-sessions.js';
import type { Calls } from './setup-calls.js';
import type { Closing } from './steps.js';

/**
 * What Claude Code sessions need: the binary, where their sessions are kept, and the
 * loopback gateway server they reach the API through (the same gateway as built-in
 * agents). The server starts with the first session; closing stops it.
 */
export function setupClaudeCode(
  options: { db: Database.Database; dataDir: string; env: NodeJS.ProcessEnv },
  calls: Calls,
): { claudeCode: ClaudeCodeEnvironment } & Closing {
  let server: Promise<GatewayServer> | null = null;
  const binaryPath = resolveClaudeCodeBinary(options.env);
  const missingBinary = binaryPath ? null : claudeCodeMissingReason(options.env);
  const closeServer = async (): Promise<void> => {
    const running = server;
    server = null;
    if (running) await (await running).close();
  };
  return {
    claudeCode: {
      gateway: () => (server ??= startGatewayServer({ gateway: calls.gateway })),
      binaryPath,
      unavailable: () => {
        if (missingBinary) return missingBinary;
        return calls.provider.forward ? null : FORWARD_UNSUPPORTED_MESSAGE;
      },
      configDir: join(options.dataDir, 'claude-code'),
      sessions: new AgentSessionsRepository(options.db),
    },
    close: () => void closeServer(),
    shutdown: () => closeServer(),
  };
}
