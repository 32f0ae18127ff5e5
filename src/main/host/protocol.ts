// The messages between the backend worker and the thread that started it. Everything
// here crosses a worker_threads port, so it is structured-clone data: no functions, no
// class instances the other side would need to recognise.
import type { AppInfo } from '../../shared/contract/app.js';
import type { EventEnvelope } from '../../shared/contract.js';
import type { Result } from '../../shared/result.js';
import type { BackendOptions } from '../app/backend.js';
import type { SecretName, SecretStore } from '../settings/secret-store.js';

/** What the worker's secret store starts with: the parent store's values, read once. */
export interface SecretSeed {
  persistent: boolean;
  /** Where the parent keeps them, for Settings to say. */
  where: SecretStore['where'];
  values: Partial<Record<SecretName, string>>;
}

/**
 * `workerData`: the backend options that can be cloned (`fleetRedisUrl`, the `--redis` flag,
 * among them), and the secrets when the parent keeps them.
 */
export interface WorkerInit {
  options: Omit<BackendOptions, 'logError' | 'secrets'>;
  secrets: SecretSeed | null;
}

export type ParentMessage =
  | { type: 'invoke'; id: number; channel: unknown; request: unknown }
  | { type: 'shutdown'; timeoutMs: number }
  | { type: 'close' };

/** An error as it crosses the port: its message, and its `code` when it had one (AppError, SQLITE_*, errno). */
export interface WireError {
  message: string;
  code?: string;
}

export type WorkerMessage =
  | { type: 'ready'; info: AppInfo }
  | { type: 'open-failed'; error: WireError }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'events'; batch: EventEnvelope[] }
  | { type: 'secret'; name: SecretName; value: string | null }
  | { type: 'log'; what: string; error: unknown }
  | { type: 'closed' };

/** Flattens any thrown value to what the other side needs to report it the same way. */
export function toWireError(error: unknown): WireError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { message, code } : { message };
}
