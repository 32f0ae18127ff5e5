import { z } from 'zod';
import { alertThresholdsSchema, type AlertThresholds } from '../costs.js';
import { allPoolLimitsSchema, type AllPoolLimits, type LimitPreset } from '../limits.js';
import { priceTableSchema, type PriceTable } from '../pricing.js';
import { LIMITS } from '../team.js';
import { MAX_REDIS_URL_LENGTH, savedRedisUrlProblem } from '../validation.js';
import { githubTokenShapeProblem, MAX_GITHUB_TOKEN_LENGTH, type GithubTokenStatus } from '../pull-request.js';
import type { ProviderId } from './app.js';
import { command } from './define.js';
import { apiBaseUrlProblem, MAX_API_BASE_URL_LENGTH, type ApiBaseUrlSource } from '../api-base-url.js';

export const PROVIDER_IDS = ['simulated', 'anthropic'] as const satisfies readonly ProviderId[];

/** Longest API key accepted; real keys are about a hundred characters. */
export const MAX_API_KEY_LENGTH = 500;

/**
 * Where the API key the engine uses came from. `env`: ANTHROPIC_API_KEY when the engine
 * started (it wins; the Settings form cannot replace it). `settings`: typed into
 * Settings and held by main's secret store.
 */
export type ApiKeySource = 'env' | 'settings';

/**
 * Where main keeps a key typed into Settings. `keychain`: the OS keychain (browser mode and
 * the CLI, through @napi-rs/keyring). `safe-storage`: encrypted by the OS keychain's cipher
 * (Electron's safeStorage), the ciphertext in the data directory. `key-file`: a file in the
 * data directory readable only by the user (no keychain answers). `memory`: this engine's
 * memory only, lost when it stops.
 */
export type ApiKeyStorage = 'keychain' | 'safe-storage' | 'key-file' | 'memory';

/** What the renderer may know about the API key: never the key itself. */
export interface ApiKeyStatus {
  set: boolean;
  /** "sk-ant-…abcd" (the prefix and the last four characters), "set" for short keys, null when unset. */
  masked: string | null;
  source: ApiKeySource | null;
  /** True when the key lives only in this process's memory and is lost when the engine stops. */
  volatile: boolean;
  /** Where a key saved now is (or the saved one was) kept; the environment's key is not stored. */
  storage: ApiKeyStorage;
}

/** Every Anthropic API key starts so; anything else pasted into the field is a mistake. */
export const API_KEY_PREFIX = 'sk-ant-';
/** Shortest key accepted: real keys run to about a hundred characters, so a shorter one was cut when copied. */
export const MIN_API_KEY_LENGTH = 40;

/**
 * Why `key` is not shaped like an Anthropic API key, or null when it is. The message never
 * repeats the key (not even its start): it would land in the UI, and perhaps a screenshot.
 */
export function apiKeyShapeProblem(key: string): string | null {
  if (!key.startsWith(API_KEY_PREFIX)) {
    return `must be an Anthropic API key, which starts with "${API_KEY_PREFIX}" (copy the whole key from the Anthropic Console)`;
  }
  if (key.length < MIN_API_KEY_LENGTH) {
    return `is too short for an Anthropic API key (those are about 100 characters): copy the whole key`;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(key)) {
    return 'may hold only letters, digits, "-" and "_": check that nothing else was copied with it';
  }
  return null;
}

/** Where this run's fleet Redis URL came from: the `--redis` flag of serve/start wins over Settings. */
export type FleetUrlSource = 'flag' | 'settings';

/**
 * The fleet's Redis. Read once at start-up: a saved change applies at the next start, so
 * what is saved and what is in use can differ. Passwords are masked in both.
 */
export interface FleetSettingView {
  /** The saved URL, null when none (the fleet is off unless `--redis` is given). */
  redisUrl: string | null;
  /** The URL this run queues turns on, null when turns run in this process. */
  activeRedisUrl: string | null;
  activeSource: FleetUrlSource | null;
}

/**
 * Where the Anthropic provider sends its calls (the gateway's, the built-in loop's and,
 * through the gateway, Claude Code's): a saved URL wins, then `ANTHROPIC_BASE_URL`, then
 * the public API. A change applies to calls from now on.
 */
export interface ApiBaseUrlView {
  /** The URL saved in Settings, null when none. */
  saved: string | null;
  /** The URL calls go to; null when `ANTHROPIC_BASE_URL` is in force but refused (see `problem`). */
  effective: string | null;
  source: ApiBaseUrlSource;
  /** Why the environment's URL is refused (it is not repeated), or null. */
  problem: string | null;
}

/** Everything the Settings area shows and edits. */
export interface SettingsView {
  provider: ProviderId;
  apiKey: ApiKeyStatus;
  /** The limits the shared rate limiter is configured with (learned header limits win at run time). */
  poolLimits: AllPoolLimits;
  /** True once a person saved pool limits; false while the engine's start-up defaults apply. */
  poolLimitsStored: boolean;
  presets: readonly LimitPreset[];
  /** The price table calls are priced with now. */
  priceTable: PriceTable;
  /** Default idle timeout of new missions' agents (an agent's own setting wins). */
  idleTimeoutSec: number;
  /** Keep a finished mission's team and coder branches (its worktrees go either way); a mission's own choice wins. */
  keepBranches: boolean;
  alertThresholds: AlertThresholds;
  fleet: FleetSettingView;
  /** The Messages API's base URL (the upstream). */
  apiBaseUrl: ApiBaseUrlView;
  /** The GitHub token pull requests are opened with (`src/main/publish/`): only whether one is set, and its mask. */
  github: GithubTokenStatus;
  /** Where the ledger and worktrees live; read-only. */
  dataDir: string;
}

const apiKeySchema = z
  .string({ error: 'must be a string, or null to remove the key' })
  .trim()
  .min(1, 'must not be empty (send null to remove the key)')
  .max(MAX_API_KEY_LENGTH, `must be at most ${MAX_API_KEY_LENGTH} characters`)
  // Keys are printable ASCII; anything else is a paste accident, refused without echoing it.
  .regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces')
  .superRefine((value, ctx) => {
    const problem = apiKeyShapeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const githubTokenSchema = z
  .string({ error: 'must be a string, or null to remove the token' })
  .trim()
  .min(1, 'must not be empty (send null to remove the token)')
  .max(MAX_GITHUB_TOKEN_LENGTH, `must be at most ${MAX_GITHUB_TOKEN_LENGTH} characters`)
  .superRefine((value, ctx) => {
    const problem = githubTokenShapeProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const apiBaseUrlSchema = z
  .string({ error: 'must be a string, or null to use ANTHROPIC_BASE_URL or the public API' })
  .trim()
  .min(1, 'must not be empty (send null to use ANTHROPIC_BASE_URL or the public API)')
  .max(MAX_API_BASE_URL_LENGTH, `must be at most ${MAX_API_BASE_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    const problem = apiBaseUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const redisUrlSchema = z
  .string({ error: 'must be a string, or null to turn the fleet off' })
  .trim()
  .min(1, 'must not be empty (send null to turn the fleet off)')
  .max(MAX_REDIS_URL_LENGTH, `must be at most ${MAX_REDIS_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    const problem = savedRedisUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const settingsCommands = {
  'settings:get': command<SettingsView>()(z.object({}).strict()),
  /** Switches the model provider for calls from now on (calls in flight finish where they started). */
  'settings:set-provider': command<SettingsView>()(z.object({ provider: z.enum(PROVIDER_IDS) }).strict()),
  /** Stores (or with null removes) the API key in main. The answer carries only its mask. */
  'settings:set-api-key': command<SettingsView>()(z.object({ apiKey: apiKeySchema.nullable() }).strict()),
  'settings:set-pool-limits': command<SettingsView>()(z.object({ poolLimits: allPoolLimitsSchema }).strict()),
  /** Replaces the price table; rows calls may reference keep their prices (add a newer row instead). */
  'settings:set-price-table': command<SettingsView>()(z.object({ priceTable: priceTableSchema }).strict()),
  'settings:set-idle-timeout': command<SettingsView>()(
    z
      .object({
        idleTimeoutSec: z
          .number({ error: 'must be a number of seconds' })
          .int('must be a whole number of seconds')
          .min(LIMITS.minIdleTimeoutSec, `must be at least ${LIMITS.minIdleTimeoutSec} seconds`)
          .max(LIMITS.maxIdleTimeoutSec, `must be at most ${LIMITS.maxIdleTimeoutSec} seconds`),
      })
      .strict(),
  ),
  /** Whether a finished mission's team and coder branches are kept (a mission's own choice wins). */
  'settings:set-keep-branches': command<SettingsView>()(z.object({ keepBranches: z.boolean() }).strict()),
  'settings:set-alert-thresholds': command<SettingsView>()(
    z.object({ alertThresholds: alertThresholdsSchema }).strict(),
  ),
  /**
   * Saves (or with null removes) the Redis URL the fleet queues built-in agents' turns on.
   * Applies at the next start; a `--redis` flag then still wins. Sending back the masked
   * URL the view shows keeps the saved one, password included.
   */
  'settings:set-fleet-redis-url': command<SettingsView>()(
    z.object({ redisUrl: redisUrlSchema.nullable() }).strict(),
  ),
  /**
   * Saves (or with null removes) the Messages API's base URL: calls from now on go there
   * (calls in flight finish where they started). Null falls back to ANTHROPIC_BASE_URL,
   * then the public API.
   */
  'settings:set-api-base-url': command<SettingsView>()(
    z.object({ apiBaseUrl: apiBaseUrlSchema.nullable() }).strict(),
  ),
  /** Stores (or with null removes) the GitHub token pull requests are opened with, in main's secret store. The answer carries only its mask. */
  'settings:set-github-token': command<SettingsView>()(z.object({ token: githubTokenSchema.nullable() }).strict()),
};

export interface SettingsEvents {
  /** Any setting changed (from this window or another); carries the whole view, key masked. */
  'settings:changed': SettingsView;
}
