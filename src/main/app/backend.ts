import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '../../../package.json';
import type { AppInfo, ProviderId, Runtime } from '../../shared/contract/app.js';
import { AppError, type Result } from '../../shared/result.js';
import { redisUrlProblem } from '../../shared/validation.js';
import { dispatch, type ErrorLogger, type Handlers } from '../api/dispatch.js';
import { EventHub, type EventSink } from '../api/event-hub.js';
import { costsChangedNotifier, forwardLimiterState } from '../api/handlers/costs.js';
import { createHandlers } from '../api/handlers/index.js';
import { createEngineServices, type EngineServices } from './engine-services.js';
import { Steps, type Closing } from './steps.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { TeamRepository } from '../ledger/team-repository.js';
import { maskRedisUrlIn } from '../../shared/redis-url.js';
import { providerLabel, savedFleetRedisUrl, startupFleet, startupProvider } from '../settings/index.js';
import { DATABASE_FILE, PRODUCT_NAME } from './paths.js';
import type { SecretStore } from '../settings/index.js';

export interface BackendOptions {
  dataDir: string;
  runtime: Runtime;
  /** Path to an Electron-ABI better-sqlite3 binary; the Node build is used when absent. */
  nativeBinding?: string;
  env?: NodeJS.ProcessEnv;
  flushIntervalMs?: number;
  logError?: ErrorLogger;
  /** Where the API key is kept; Electron passes a safeStorage-backed store. Memory otherwise. */
  secrets?: SecretStore;
  /**
   * `serve`/`start --redis URL`: built-in agents' turns go to fleet workers on this Redis.
   * Wins over {@link FLEET_REDIS_ENV} and the URL saved in Settings; with none of them,
   * every turn runs in this process.
   */
  fleetRedisUrl?: string;
}

/**
 * How `start --redis` reaches the desktop app's backend: Electron's main process and the
 * backend's worker thread inherit the environment (as `CR_DATA_DIR` carries `--data-dir`).
 * Counts as the flag.
 */
export const FLEET_REDIS_ENV = 'CR_REDIS_URL';

/**
 * The engine as every transport sees it: one `invoke` that validates and answers a
 * Result, and a stream of event batches. Electron's IPC, browser mode's WebSocket, the
 * CLI and the tests all drive this shape, so none of them can drift from the contract.
 * Both the in-process {@link Backend} and the worker proxy (`host/worker-backend.ts`)
 * satisfy it, so a transport cannot reach past it into the ledger.
 */
export interface BackendHandle {
  /** As it was when the backend opened; `app:get-info` answers the live one. */
  readonly info: AppInfo;
  readonly events: { subscribe(sink: EventSink): () => void };
  invoke(channel: unknown, request: unknown): Promise<Result<unknown>>;
  /** Closes at once: calls in flight are aborted, and rows not yet written are lost. */
  close(): void;
  /**
   * The quit path: aborts calls in flight, waits (bounded) until their billed usage is
   * recorded, then closes the database.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** The backend in this thread: the handle plus the hub and ledger, for the CLI, tests and benches. */
export interface Backend extends BackendHandle {
  readonly events: EventHub;
  readonly ledger: Ledger;
}

/** How long `shutdown` waits beyond its own bound for the engine's parts to stop before closing the ledger anyway. */
const SHUTDOWN_GRACE_MS = 1_000;

/** Chooses the provider: the real API only when a key is configured, else the simulation. */
export function selectProvider(env: NodeJS.ProcessEnv): AppInfo['provider'] {
  const id: ProviderId = env.ANTHROPIC_API_KEY ? 'anthropic' : 'simulated';
  // The label names the provider only: whether a key is set changes while the app runs
  // (Settings), and the top bar shows that from the settings view.
  return { id, label: providerLabel(id) };
}

/**
 * Opens the ledger in `dataDir` (creating the folder) and wires the handlers to it: the
 * ledger, the event hub, the engine and its services, then the contract's handlers, each
 * a step closed in reverse.
 */
export function openBackend(options: BackendOptions): Backend {
  // Before anything is opened, so a bad URL leaves nothing to close.
  const flag = fleetFlag(options);
  const env = options.env ?? process.env;
  const steps = new Steps();
  const { ledger, databasePath } = steps.add(setupLedger(options));
  const events = steps.add(new EventHub({ flushIntervalMs: options.flushIntervalMs }));
  const info = appInfo(options, databasePath, ledger);
  const fleet = startupFleet(flag, savedFleetRedisUrl(ledger.db));
  const services = steps.add(
    createEngineServices({
      db: ledger.db,
      dataDir: options.dataDir,
      provider: info.provider.id,
      // app:get-info answers this object, so it follows a switch made in Settings.
      onProviderChanged: (id) => (info.provider = { id, label: providerLabel(id) }),
      env,
      // Scales the simulation's latency (as `control-room run` does), for demos and e2e tests.
      latencyScale: Number(env.CONTROL_ROOM_SIM_LATENCY ?? 1) || 0,
      events,
      ...(options.logError ? { logError: options.logError } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
      onCallRecorded: costsChangedNotifier(events),
      // Connects in the background: a Redis that does not answer never delays or stops the
      // start; the fleet status says why, and turns fail with it.
      ...(fleet ? { fleet: { redisUrl: fleet.redisUrl } } : {}),
    }),
  );
  services.settings.useFleet(fleet);
  if (fleet && services.fleet) {
    const logError = options.logError ?? console.error;
    services.fleet
      .ready()
      .catch((error: unknown) =>
        logError('connecting to the fleet', new Error(maskRedisUrlIn(errorText(error), fleet.redisUrl))),
      );
  }
  const { handlers } = steps.add(setupHandlers(info, events, ledger, services));
  let closed = false;
  return {
    info,
    events,
    ledger,
    invoke: (channel, request) => dispatch(handlers, channel, request, options.logError),
    async shutdown(timeoutMs = 5_000) {
      if (closed) return;
      // Bounded: a fleet whose Redis never answered may never finish closing, and the
      // ledger must still be closed (what was committed stays committed).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + SHUTDOWN_GRACE_MS)));
      await Promise.race([services.shutdown(timeoutMs), late]);
      clearTimeout(timer);
      this.close();
    },
    close() {
      if (closed) return;
      closed = true;
      steps.close();
    },
  };
}

/** The ledger in `dataDir`, set up for the app: background checkpoints and one commit per event-loop turn. */
function setupLedger(options: BackendOptions): { ledger: Ledger; databasePath: string } & Closing {
  mkdirSync(options.dataDir, { recursive: true });
  const databasePath = join(options.dataDir, DATABASE_FILE);
  const ledger = openLedger(databasePath, {
    nativeBinding: options.nativeBinding,
    // Commits stay short: a worker thread copies the WAL back into the database.
    checkpoints: 'background',
    onCheckpointFallback: (reason) => options.logError?.('background checkpoints', new Error(reason)),
    // One commit per event-loop turn for the engine's writes (see write-group.ts).
    groupCommit: true,
    onGroupCommitError: (error) => (options.logError ?? console.error)('a ledger commit', error),
  });
  return { ledger, databasePath, close: () => ledger.close() };
}

/** What `app:get-info` answers; a provider chosen in Settings is kept across restarts when this process can honour it. */
function appInfo(options: BackendOptions, databasePath: string, ledger: Ledger): AppInfo {
  const env = options.env ?? process.env;
  const info: AppInfo = {
    name: PRODUCT_NAME,
    version,
    runtime: options.runtime,
    platform: process.platform,
    dataDir: options.dataDir,
    databasePath,
    provider: selectProvider(env),
  };
  // A key the secret store kept from an earlier run lets a saved choice of the API stand.
  const startWith = startupProvider(ledger.db, env, options.secrets?.get('anthropic-api-key') != null);
  if (startWith !== info.provider.id) info.provider = { id: startWith, label: providerLabel(startWith) };
  return info;
}

/** The contract's handlers over the engine's services; closing stops forwarding the limiter's state. */
function setupHandlers(
  info: AppInfo,
  events: EventHub,
  ledger: Ledger,
  services: EngineServices,
): { handlers: Handlers } & Closing {
  const stopLimiterEvents = forwardLimiterState(services.limiter, events);
  const handlers: Handlers = createHandlers({
    info,
    events,
    teams: new TeamRepository(ledger.db),
    engine: services.engine,
    settings: services.settings,
    pullRequests: services.pullRequests,
    fleet: services.fleet,
    costs: {
      db: ledger.db,
      limiter: services.limiter,
      budgets: services.budgets,
      // Alerts use the thresholds the person set in Settings, read at each evaluation.
      thresholds: () => services.settings.alertThresholds(),
    },
  });
  return { handlers, close: stopLimiterEvents };
}

/** The flag's Redis URL (the option, else the environment `start` set); refused when it is not one. */
function fleetFlag(options: BackendOptions): string | undefined {
  const value = options.fleetRedisUrl ?? (options.env ?? process.env)[FLEET_REDIS_ENV];
  if (value === undefined || value === '') return undefined;
  const problem = redisUrlProblem(value);
  if (problem) throw new AppError('invalid_request', `the fleet's Redis URL: ${problem}`);
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
