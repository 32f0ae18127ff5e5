import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { BudgetGuard, ledgerSpendSource } from '../ledger/budgets.js';
import { CallsRepository, type CallRecord } from '../ledger/calls-repository.js';
import { Pricer } from '../ledger/pricing.js';
import { RateLimiter } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { AgentSessionsRepository } from '../ledger/agent-sessions.js';
import { FORWARD_UNSUPPORTED_MESSAGE, createGateway } from '../calls/gateway.js';
import { startGatewayServer, type GatewayServer } from '../calls/gateway-server.js';
import { createFleet, type Fleet } from '../fleet/index.js';
import type { ModelGateway } from '../calls/gateway-types.js';
import type { ModelProvider } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import type { ProviderId } from '../../shared/contract/app.js';
import type { AllPoolLimits } from '../../shared/limits.js';
import { MemorySecretStore, ProviderSwitch, SettingsService, type SecretStore } from '../settings/index.js';
import { MissionEngine, type MissionEngineOptions } from '../engine/mission-engine.js';
import type { EngineEventSink } from '../engine/mission-runtime.js';
import type { ClaudeCodeEnvironment } from '../engine/runtimes/claude-code.js';
import { claudeCodeMissingReason, resolveClaudeCodeBinary } from '../engine/runtimes/claude-code-probe.js';

export interface EngineServicesOptions {
  db: Database.Database;
  dataDir: string;
  provider: ProviderId;
  env: NodeJS.ProcessEnv;
  events?: EngineEventSink;
  /** Simulated provider only: 0 answers at once (tests, benchmarks). Default 1. */
  latencyScale?: number;
  seed?: number;
  logError?: (what: string, error: unknown) => void;
  engine?: Partial<MissionEngineOptions>;
  /** Told after each call's ledger row is written (the cost dashboard refreshes on it). */
  onCallRecorded?: (record: CallRecord, costNano: number) => void;
  /** Where a key typed into Settings is kept; process memory when not given. */
  secrets?: SecretStore;
  /** Told when Settings switches the provider (the app info names it). */
  onProviderChanged?: (id: ProviderId) => void;
  /**
   * Puts built-in agents' turns on fleet workers through BullMQ on this Redis; without it
   * every turn runs in this process. `repoUrl` is where workers reach missions'
   * repositories when not at their local path; `host`/`advertiseUrl` expose the fleet API
   * to workers on other machines (default: loopback only).
   */
  fleet?: { redisUrl: string; host?: string; advertiseUrl?: string; repoUrl?: string };
}

export interface EngineServices {
  engine: MissionEngine;
  gateway: ModelGateway;
  limiter: RateLimiter;
  budgets: BudgetGuard;
  /** Saved settings, applied to the parts above as they change. */
  settings: SettingsService;
  /** The fleet, when turns go to workers (`fleet` option). */
  fleet: Fleet | null;
  close(): void;
  /**
   * Stops every agent (aborting calls in flight) and waits, at most `timeoutMs`, until
   * the gateway has recorded what those calls were billed; then closes like `close`.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

// Conservative starting limits (Anthropic's first usage tier); real responses' headers
// replace them as soon as the first call returns.
const STARTING_LIMITS: AllPoolLimits = {
  opus: { rpm: 50, itpm: 30_000, otpm: 8_000 },
  sonnet: { rpm: 50, itpm: 30_000, otpm: 8_000 },
  haiku: { rpm: 50, itpm: 50_000, otpm: 10_000 },
};
// The simulation has no account limits; these only keep thousands of agents orderly.
const SIMULATED_LIMITS: AllPoolLimits = {
  opus: { rpm: 4_000, itpm: 2_000_000, otpm: 400_000 },
  sonnet: { rpm: 4_000, itpm: 2_000_000, otpm: 400_000 },
  haiku: { rpm: 4_000, itpm: 4_000_000, otpm: 800_000 },
};

/**
 * Builds the engine with everything a model call passes through: the provider (the
 * simulation unless the API is chosen), the shared rate limiter, budget caps and the
 * calls ledger behind one gateway. The backend and `control-room run` both use this.
 */
export function createEngineServices(options: EngineServicesOptions): EngineServices {
  // What a person saved in Settings wins over the defaults below.
  const settings = new SettingsService({
    db: options.db,
    env: options.env,
    dataDir: options.dataDir,
    secrets: options.secrets ?? new MemorySecretStore(),
  });
  const pricer = new Pricer(settings.priceTable());
  const calls = new CallsRepository(options.db, pricer);
  const budgets = new BudgetGuard({ spend: ledgerSpendSource(options.db), pricer });
  const simulated = options.provider === 'simulated';
  const limiter = new RateLimiter({
    pools: settings.storedPoolLimits() ?? (simulated ? SIMULATED_LIMITS : STARTING_LIMITS),
    ...(simulated ? { rampStartFraction: 1 } : {}),
  });
  const makeProvider = (id: ProviderId, apiKey: string | null): ModelProvider => {
    if (id === 'simulated') {
      return new SimulatedProvider({ seed: options.seed ?? 1, latencyScale: options.latencyScale ?? 1 });
    }
    if (!apiKey) throw new Error('the Anthropic provider needs ANTHROPIC_API_KEY');
    return new AnthropicProvider({ apiKey });
  };
  // Settings may switch providers while the gateway keeps the same object.
  const provider = new ProviderSwitch(options.provider, makeProvider(options.provider, settings.apiKey().key));
  const gateway = createGateway({
    provider,
    limiter,
    budgets,
    calls,
    ...(options.onCallRecorded ? { onRecorded: options.onCallRecorded } : {}),
  });
  // Claude Code sessions reach the API only through this loopback server, over the same
  // gateway; it starts with the first session and stops with the engine.
  let server: Promise<GatewayServer> | null = null;
  const binaryPath = resolveClaudeCodeBinary(options.env);
  const missingBinary = binaryPath ? null : claudeCodeMissingReason(options.env);
  const claudeCode: ClaudeCodeEnvironment = {
    gateway: () => (server ??= startGatewayServer({ gateway })),
    binaryPath,
    unavailable: () => {
      if (missingBinary) return missingBinary;
      return provider.forward ? null : FORWARD_UNSUPPORTED_MESSAGE;
    },
    configDir: join(options.dataDir, 'claude-code'),
    sessions: new AgentSessionsRepository(options.db),
  };
  const closeServer = async (): Promise<void> => {
    const running = server;
    server = null;
    if (running) await (await running).close();
  };
  // Workers on other machines need the fleet API on a reachable interface and a git URL
  // of the repository; on one machine the defaults (loopback, the repository's path) do.
  const fleetConfig = options.fleet && {
    ...options.fleet,
    host: options.fleet.host ?? options.env.CONTROL_ROOM_FLEET_HOST,
    advertiseUrl: options.fleet.advertiseUrl ?? options.env.CONTROL_ROOM_FLEET_URL,
    repoUrl: options.fleet.repoUrl ?? options.env.CONTROL_ROOM_FLEET_REPO_URL,
  };
  const fleet = fleetConfig
    ? createFleet({
        redisUrl: fleetConfig.redisUrl,
        ...(fleetConfig.host ? { host: fleetConfig.host } : {}),
        ...(fleetConfig.advertiseUrl ? { advertiseUrl: fleetConfig.advertiseUrl } : {}),
        ...(options.logError ? { logError: options.logError } : {}),
      })
    : null;
  const engine = new MissionEngine({
    db: options.db,
    gateway,
    budgets,
    claudeCode,
    ...(fleet ? { fleet: { turns: fleet, ...(fleetConfig?.repoUrl ? { repoUrl: fleetConfig.repoUrl } : {}) } } : {}),
    worktreesDir: join(options.dataDir, 'worktrees'),
    ...(options.events ? { events: options.events } : {}),
    ...(options.logError ? { logError: options.logError } : {}),
    ...options.engine,
    defaults: { ...settings.missionDefaults(), ...options.engine?.defaults },
  });
  settings.attach({
    limiter,
    pricers: [calls, budgets],
    engine,
    provider,
    makeProvider,
    defaultPoolLimits: (id) => (id === 'simulated' ? SIMULATED_LIMITS : STARTING_LIMITS),
    ...(options.events ? { emit: (view) => options.events?.emit('settings:changed', view) } : {}),
    ...(options.onProviderChanged ? { onProviderChanged: options.onProviderChanged } : {}),
  });
  return {
    engine,
    gateway,
    limiter,
    budgets,
    settings,
    fleet,
    close() {
      engine.close();
      void closeServer();
      void fleet?.close();
      limiter.close();
    },
    async shutdown(timeoutMs = 5_000) {
      engine.close();
      await closeServer();
      await fleet?.close();
      await gateway.drain(timeoutMs);
      limiter.close();
    },
  };
}
