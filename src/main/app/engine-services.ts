import type Database from 'better-sqlite3';
import { join } from 'node:path';
import type { ProviderId } from '../../shared/contract/app.js';
import type { ModelGateway } from '../calls/gateway-types.js';
import { MissionEngine, type MissionEngineOptions } from '../engine/mission-engine.js';
import type { EngineEventSink } from '../engine/mission-runtime.js';
import type { Fleet } from '../fleet/index.js';
import type { BudgetGuard } from '../ledger/budgets.js';
import type { CallRecord } from '../ledger/calls-repository.js';
import type { RateLimiter } from '../limiter/index.js';
import { MissionPullRequests } from '../publish/mission-pull-requests.js';
import { MemorySecretStore, SettingsService, type SecretStore } from '../settings/index.js';
import { defaultPoolLimits, setupCalls, type Calls } from './setup-calls.js';
import { setupClaudeCode } from './setup-claude-code.js';
import { setupFleet, type FleetConfig } from './setup-fleet.js';
import { Steps, type Closing } from './steps.js';

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
  fleet?: FleetConfig;
  /** GitHub's REST API for pull requests; default `CONTROL_ROOM_GITHUB_API_URL`, else https://api.github.com. */
  githubApiUrl?: string;
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
  /** Missions' pull requests (`publish/`), with the GitHub token from Settings. */
  pullRequests: MissionPullRequests;
  close(): void;
  /**
   * Stops every agent (aborting calls in flight) and waits, at most `timeoutMs`, until
   * the gateway has recorded what those calls were billed; then closes like `close`.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Builds the engine and everything a model call passes through, as one ordered list of
 * steps, each closed in reverse: saved settings, the call pipeline (provider, limiter,
 * budgets, the calls ledger behind one gateway), Claude Code's loopback gateway, the
 * fleet, the engine, and last the live link from Settings to the parts it changes. The
 * backend and `control-room run` both use this.
 */
export function createEngineServices(options: EngineServicesOptions): EngineServices {
  const steps = new Steps();
  const { settings } = steps.add(setupSettings(options));
  const calls = steps.add(setupCalls(options, settings));
  const { claudeCode } = steps.add(setupClaudeCode(options, calls));
  const { fleet, config: fleetConfig } = steps.add(setupFleet(options));
  const { engine } = steps.add(
    setupEngine(options, {
      gateway: calls.gateway,
      budgets: calls.budgets,
      // A team's priority is its weight in this limiter, shared by every mission.
      teamWeights: calls.limiter,
      claudeCode,
      ...(fleet ? { fleet: { turns: fleet, ...(fleetConfig?.repoUrl ? { repoUrl: fleetConfig.repoUrl } : {}) } } : {}),
      defaults: settings.missionDefaults(),
      keepBranches: settings.keepBranches(),
    }),
  );
  steps.add(setupLiveSettings(options, settings, calls, engine));
  const { pullRequests } = steps.add(setupPullRequests(options, settings, engine));
  return {
    engine,
    gateway: calls.gateway,
    limiter: calls.limiter,
    budgets: calls.budgets,
    settings,
    fleet,
    pullRequests,
    close: () => steps.close(),
    shutdown: (timeoutMs = 5_000) => steps.shutdown(timeoutMs),
  };
}

/** What a person saved in Settings; it wins over the defaults of every later step. */
function setupSettings(options: EngineServicesOptions): { settings: SettingsService } & Closing {
  const settings = new SettingsService({
    db: options.db,
    env: options.env,
    dataDir: options.dataDir,
    secrets: options.secrets ?? new MemorySecretStore(),
  });
  return { settings, close: () => undefined };
}

/** The mission engine over the gateway; closing stops every agent, aborting calls in flight. */
function setupEngine(
  options: EngineServicesOptions,
  parts: Pick<MissionEngineOptions, 'gateway' | 'budgets' | 'claudeCode' | 'fleet' | 'teamWeights' | 'keepBranches'> & {
    defaults: MissionEngineOptions['defaults'];
  },
): { engine: MissionEngine } & Closing {
  const engine = new MissionEngine({
    db: options.db,
    gateway: parts.gateway,
    budgets: parts.budgets,
    ...(parts.teamWeights ? { teamWeights: parts.teamWeights } : {}),
    claudeCode: parts.claudeCode,
    ...(parts.keepBranches === undefined ? {} : { keepBranches: parts.keepBranches }),
    ...(parts.fleet ? { fleet: parts.fleet } : {}),
    worktreesDir: join(options.dataDir, 'worktrees'),
    ...(options.events ? { events: options.events } : {}),
    ...(options.logError ? { logError: options.logError } : {}),
    ...options.engine,
    defaults: { ...parts.defaults, ...options.engine?.defaults },
  });
  return {
    engine,
    close: () => engine.close(),
    // A mission that just ended is still removing its worktrees: let that finish (bounded)
    // before the ledger closes; what is cut short is done by the next start's sweep.
    shutdown: async (timeoutMs) => {
      engine.close();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([engine.branchesSettled(), late]);
      clearTimeout(timer);
    },
  };
}

/** Pull requests, reading the GitHub token from Settings at each use (a change applies at once). */
function setupPullRequests(
  options: EngineServicesOptions,
  settings: SettingsService,
  engine: MissionEngine,
): { pullRequests: MissionPullRequests } & Closing {
  const githubApiUrl = options.githubApiUrl ?? options.env.CONTROL_ROOM_GITHUB_API_URL;
  const pullRequests = new MissionPullRequests({
    db: options.db,
    engine,
    // The description is the mission's result, as missions:get-result answers it.
    result: (missionId) => engine.result(missionId),
    token: () => settings.githubToken(),
    env: options.env,
    ...(githubApiUrl ? { githubApiUrl } : {}),
  });
  return { pullRequests, close: () => undefined };
}

/** Lets a change saved in Settings reach the running limiter, pricers, engine and provider. */
function setupLiveSettings(
  options: EngineServicesOptions,
  settings: SettingsService,
  calls: Calls,
  engine: MissionEngine,
): Closing {
  settings.attach({
    limiter: calls.limiter,
    pricers: [calls.calls, calls.budgets],
    engine,
    provider: calls.provider,
    makeProvider: calls.makeProvider,
    defaultPoolLimits,
    ...(options.events ? { emit: (view) => options.events?.emit('settings:changed', view) } : {}),
    ...(options.onProviderChanged ? { onProviderChanged: options.onProviderChanged } : {}),
  });
  return { close: () => undefined };
}
