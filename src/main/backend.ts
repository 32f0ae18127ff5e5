import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '../../package.json';
import type { AppInfo, ProviderId, Runtime } from '../shared/contract/app.js';
import type { Result } from '../shared/result.js';
import { dispatch, type ErrorLogger, type Handlers } from './api/dispatch.js';
import { EventHub, type EventSink } from './api/event-hub.js';
import { costsChangedNotifier, forwardLimiterState } from './api/handlers/costs.js';
import { createHandlers } from './api/handlers/index.js';
import { createEngineServices } from './engine/engine-services.js';
import { openLedger, type Ledger } from './ledger/database.js';
import { TeamRepository } from './ledger/team-repository.js';
import { providerLabel, startupProvider } from './settings/index.js';
import { DATABASE_FILE, PRODUCT_NAME } from './paths.js';
import type { SecretStore } from './settings/index.js';

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
}

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

/** Chooses the provider: the real API only when a key is configured, else the simulation. */
export function selectProvider(env: NodeJS.ProcessEnv): AppInfo['provider'] {
  const id: ProviderId = env.ANTHROPIC_API_KEY ? 'anthropic' : 'simulated';
  return { id, label: id === 'anthropic' ? 'Anthropic API' : 'Simulated provider (no API key set)' };
}

/** Opens the ledger in `dataDir` (creating the folder) and wires the handlers to it. */
export function openBackend(options: BackendOptions): Backend {
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
  const events = new EventHub({ flushIntervalMs: options.flushIntervalMs });
  const info: AppInfo = {
    name: PRODUCT_NAME,
    version,
    runtime: options.runtime,
    platform: process.platform,
    dataDir: options.dataDir,
    databasePath,
    provider: selectProvider(options.env ?? process.env),
  };
  // A provider chosen in Settings is kept across restarts when this process can honour it.
  const startWith = startupProvider(ledger.db, options.env ?? process.env);
  if (startWith !== info.provider.id) info.provider = { id: startWith, label: providerLabel(startWith) };
  const services = createEngineServices({
    db: ledger.db,
    dataDir: options.dataDir,
    provider: info.provider.id,
    // app:get-info answers this object, so it follows a switch made in Settings.
    onProviderChanged: (id) => (info.provider = { id, label: providerLabel(id) }),
    env: options.env ?? process.env,
    // Scales the simulation's latency (as `control-room run` does), for demos and e2e tests.
    latencyScale: Number((options.env ?? process.env).CONTROL_ROOM_SIM_LATENCY ?? 1) || 0,
    events,
    ...(options.logError ? { logError: options.logError } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    onCallRecorded: costsChangedNotifier(events),
  });
  const stopLimiterEvents = forwardLimiterState(services.limiter, events);
  const handlers: Handlers = createHandlers({
    info,
    events,
    teams: new TeamRepository(ledger.db),
    engine: services.engine,
    settings: services.settings,
    costs: {
      db: ledger.db,
      limiter: services.limiter,
      budgets: services.budgets,
      // Alerts use the thresholds the person set in Settings, read at each evaluation.
      thresholds: () => services.settings.alertThresholds(),
    },
  });
  let closed = false;
  return {
    info,
    events,
    ledger,
    invoke: (channel, request) => dispatch(handlers, channel, request, options.logError),
    async shutdown(timeoutMs = 5_000) {
      if (closed) return;
      await services.shutdown(timeoutMs);
      this.close();
    },
    close() {
      if (closed) return;
      closed = true;
      stopLimiterEvents();
      services.close();
      events.close();
      ledger.close();
    },
  };
}
