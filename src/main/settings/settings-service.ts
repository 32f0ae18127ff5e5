import type Database from 'better-sqlite3';
import type { ProviderId } from '../../shared/contract/app.js';
import type { ApiKeySource, FleetUrlSource, SettingsView } from '../../shared/contract/settings.js';
import type { AlertThresholds } from '../../shared/costs.js';
import { LIMIT_PRESETS, type AllPoolLimits } from '../../shared/limits.js';
import { DEFAULT_MISSION_SETTINGS, type MissionSettings } from '../../shared/mission.js';
import type { ModelPool } from '../../shared/models.js';
import type { PriceTable } from '../../shared/pricing.js';
import { AppError } from '../../shared/result.js';
import { resolveAlertThresholds } from '../ledger/alerts.js';
import { defaultPriceTable, Pricer } from '../ledger/pricing.js';
import { SettingsRepository } from '../ledger/settings-repository.js';
import type { ModelProvider } from '../llm/provider.js';
import { maskApiKey } from './api-key.js';
import { checkPriceTableEdit, withBundledRows } from './price-table-edits.js';
import { maskRedisUrl } from '../../shared/redis-url.js';
import { maskGithubToken } from '../../shared/pull-request.js';
import { safeMessage } from '../../shared/quote.js';
import { API_BASE_URL_ENV, apiBaseUrlProblem, DEFAULT_API_BASE_URL, type ApiBaseUrlSource } from '../../shared/api-base-url.js';
import type { ProviderSwitch } from './provider-switch.js';
import type { SecretStore } from './secret-store.js';
import { SETTINGS } from './setting-keys.js';

const API_KEY_ENV = 'ANTHROPIC_API_KEY';
const POOLS: readonly ModelPool[] = ['opus', 'sonnet', 'haiku'];

export interface SettingsServiceOptions {
  db: Database.Database;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  secrets: SecretStore;
  clock?: () => Date;
}

/** The live parts a saved setting changes at once; given by `createEngineServices`. */
export interface LiveSettingsTargets {
  limiter: { setLimits(pool: ModelPool, limits: AllPoolLimits[ModelPool]): void };
  /** Everything that prices calls (the calls ledger, the budget guard). */
  pricers: { setPricer(pricer: Pricer): void }[];
  engine: { setDefaults(defaults: Partial<MissionSettings>): void; setKeepBranchesDefault(keep: boolean): void };
  provider: ProviderSwitch;
  /** Builds a provider; `apiKey` is set for 'anthropic'. */
  makeProvider(id: ProviderId, apiKey: string | null): ModelProvider;
  /** The engine's limits for a provider when none were saved. */
  defaultPoolLimits(id: ProviderId): AllPoolLimits;
  emit?(view: SettingsView): void;
  onProviderChanged?(id: ProviderId): void;
}

/**
 * The provider a new engine starts with: a saved choice when it can be honoured, else the
 * environment's. `savedKey`: a key kept by the secret store from an earlier run, which lets
 * a saved choice of the API stand.
 */
export function startupProvider(db: Database.Database, env: NodeJS.ProcessEnv, savedKey = false): ProviderId {
  const stored = new SettingsRepository(db).get(SETTINGS.provider.key, SETTINGS.provider.spec);
  // Falling back to the simulation is always safe; the API needs a key this process has.
  if (stored === 'simulated') return 'simulated';
  if (env[API_KEY_ENV]) return 'anthropic';
  return stored === 'anthropic' && savedKey ? 'anthropic' : 'simulated';
}

/** The fleet Redis URL saved in Settings, or null: what a start without `--redis` uses. */
export function savedFleetRedisUrl(db: Database.Database): string | null {
  return new SettingsRepository(db).get(SETTINGS.fleetRedisUrl.key, SETTINGS.fleetRedisUrl.spec);
}

/**
 * The Redis a new engine queues turns on: the flag (`serve`/`start --redis`) wins over the
 * saved setting; neither means the fleet is off and every turn runs in this process.
 */
export function startupFleet(
  flag: string | undefined,
  saved: string | null,
): { redisUrl: string; source: FleetUrlSource } | null {
  if (flag) return { redisUrl: flag, source: 'flag' };
  return saved ? { redisUrl: saved, source: 'settings' } : null;
}

/** How the app names a provider in its info and on the Settings page. */
export function providerLabel(id: ProviderId): string {
  return id === 'anthropic' ? 'Anthropic API' : 'Simulated provider';
}

/**
 * The Settings area's engine side: reads what a person saved (at start-up and for
 * `settings:get`), validates and stores edits in the ledger (with their history), and
 * applies them to the running engine. The API key is the exception: it is held by the
 * {@link SecretStore}, never by the ledger, and only its mask ever leaves this class.
 */
export class SettingsService {
  private readonly repo: SettingsRepository;
  private readonly env: NodeJS.ProcessEnv;
  private readonly dataDir: string;
  private readonly secrets: SecretStore;
  private targets: LiveSettingsTargets | null = null;
  private activeFleet: { redisUrl: string; source: FleetUrlSource } | null = null;

  constructor(options: SettingsServiceOptions) {
    this.repo = new SettingsRepository(options.db, options.clock);
    this.env = options.env;
    this.dataDir = options.dataDir;
    this.secrets = options.secrets;
  }

  /** Connects the live engine; until then edits are stored but applied at the next start. */
  attach(targets: LiveSettingsTargets): void {
    this.targets = targets;
  }

  /**
   * Records which Redis this run's fleet uses (or none), for the view: a saved URL only
   * takes effect at the next start, and the person should see both.
   */
  useFleet(active: { redisUrl: string; source: FleetUrlSource } | null): void {
    this.activeFleet = active;
  }

  /** The saved fleet Redis URL (unmasked: main only), null when none. */
  fleetRedisUrl(): string | null {
    return this.repo.get(SETTINGS.fleetRedisUrl.key, SETTINGS.fleetRedisUrl.spec);
  }

  /**
   * Where the Anthropic provider sends calls: the URL saved in Settings, else
   * `ANTHROPIC_BASE_URL` from the engine's environment, else the public API. `url` is null
   * (and `problem` says why, without repeating the value) when the environment's URL is in
   * force but refused: no call is sent anywhere then, rather than to a place not chosen.
   */
  apiBaseUrl(): { url: string | null; source: ApiBaseUrlSource; saved: string | null; problem: string | null } {
    return this.resolveApiBaseUrl(this.repo.get(SETTINGS.apiBaseUrl.key, SETTINGS.apiBaseUrl.spec));
  }

  /**
   * Saves (or with null removes) the Messages API's base URL. When the engine runs on the
   * Anthropic provider, calls from now on go to the new upstream (calls in flight finish
   * where they started; Claude Code sessions' calls pass through the gateway, so theirs
   * too). Before the engine is attached (a headless set-up) it is only saved. Refused,
   * with nothing saved: a URL that is not one, and, while the API is in use, a removal
   * that would leave a refused `ANTHROPIC_BASE_URL` in force.
   */
  setApiBaseUrl(apiBaseUrl: string | null): SettingsView {
    const problem = apiBaseUrl === null ? null : apiBaseUrlProblem(apiBaseUrl);
    if (problem) throw new AppError('invalid_request', `apiBaseUrl: ${problem}`);
    const live = this.targets;
    const next = this.resolveApiBaseUrl(apiBaseUrl);
    const onApi = live?.provider.id === 'anthropic';
    if (onApi && next.url === null) throw new AppError('invalid_request', `apiBaseUrl: ${next.problem ?? 'no usable URL'}`);
    this.repo.set(SETTINGS.apiBaseUrl.key, SETTINGS.apiBaseUrl.spec, apiBaseUrl);
    if (live && onApi) live.provider.use('anthropic', live.makeProvider('anthropic', this.apiKey().key));
    return this.changed();
  }

  private resolveApiBaseUrl(saved: string | null): ReturnType<SettingsService['apiBaseUrl']> {
    if (saved !== null) return { url: saved, source: 'settings', saved, problem: null };
    const fromEnv = this.env[API_BASE_URL_ENV]?.trim();
    if (!fromEnv) return { url: DEFAULT_API_BASE_URL, source: 'default', saved, problem: null };
    const problem = apiBaseUrlProblem(fromEnv);
    return problem
      ? { url: null, source: 'env', saved, problem: `${API_BASE_URL_ENV} ${problem}` }
      : { url: fromEnv, source: 'env', saved, problem: null };
  }

  /** The price table in force: the saved one (with any newer bundled rows), else the bundled one. */
  priceTable(): PriceTable {
    const stored = this.repo.get(SETTINGS.priceTable.key, SETTINGS.priceTable.spec);
    return stored ? withBundledRows(stored, defaultPriceTable()) : defaultPriceTable();
  }

  /** Saved pool limits, or null while the engine's defaults apply. */
  storedPoolLimits(): AllPoolLimits | null {
    return this.repo.get(SETTINGS.poolLimits.key, SETTINGS.poolLimits.spec);
  }

  /** Default idle timeout for new missions' agents. */
  idleTimeoutSec(): number {
    return this.repo.get(SETTINGS.idleTimeoutSec.key, SETTINGS.idleTimeoutSec.spec) ?? DEFAULT_MISSION_SETTINGS.idleTimeoutSec;
  }

  /** Mission defaults a person saved, for the engine's `defaults`. */
  missionDefaults(): Partial<MissionSettings> {
    const idle = this.repo.get(SETTINGS.idleTimeoutSec.key, SETTINGS.idleTimeoutSec.spec);
    return idle === null ? {} : { idleTimeoutSec: idle };
  }

  /** Whether finished missions keep their team and coder branches unless they chose otherwise. */
  keepBranches(): boolean {
    return this.repo.get(SETTINGS.keepBranches.key, SETTINGS.keepBranches.spec);
  }

  /** Keep (or delete) the team and coder branches of missions that end from now on, unless they chose. */
  setKeepBranches(keepBranches: boolean): SettingsView {
    const live = this.live();
    this.repo.set(SETTINGS.keepBranches.key, SETTINGS.keepBranches.spec, keepBranches);
    live.engine.setKeepBranchesDefault(keepBranches);
    return this.changed();
  }

  /** The thresholds alerts are evaluated against. */
  alertThresholds(): AlertThresholds {
    return this.repo.get(SETTINGS.alertThresholds.key, SETTINGS.alertThresholds.spec);
  }

  /** The key new Anthropic providers are built with: the environment's wins over a saved one. */
  apiKey(): { key: string | null; source: ApiKeySource | null } {
    const fromEnv = this.env[API_KEY_ENV];
    if (fromEnv) return { key: fromEnv, source: 'env' };
    const saved = this.secrets.get('anthropic-api-key');
    return saved ? { key: saved, source: 'settings' } : { key: null, source: null };
  }

  /** Everything the Settings area shows. The API key appears only as its mask. */
  view(): SettingsView {
    const { key, source } = this.apiKey();
    const stored = this.storedPoolLimits();
    const provider = this.targets?.provider.id ?? (key ? 'anthropic' : 'simulated');
    return {
      provider,
      apiKey: {
        set: key !== null,
        masked: key === null ? null : maskApiKey(key),
        source,
        volatile: source === 'settings' && !this.secrets.persistent,
        storage: this.secrets.where,
      },
      poolLimits: stored ?? this.targets?.defaultPoolLimits(provider) ?? LIMIT_PRESETS[0]!.pools,
      poolLimitsStored: stored !== null,
      presets: LIMIT_PRESETS,
      priceTable: this.priceTable(),
      idleTimeoutSec: this.idleTimeoutSec(),
      keepBranches: this.keepBranches(),
      alertThresholds: this.alertThresholds(),
      fleet: this.fleetView(),
      apiBaseUrl: this.apiBaseUrlView(),
      github: this.githubView(),
      dataDir: this.dataDir,
    };
  }

  /** Sends new calls to `provider`; the API needs a key. The choice is kept for the next start. */
  setProvider(provider: ProviderId): SettingsView {
    const live = this.live();
    const { key } = this.apiKey();
    if (provider === 'anthropic' && key === null) {
      throw new AppError(
        'invalid_request',
        `provider: the Anthropic API needs an API key; save one under "API key" first (or start with ${API_KEY_ENV} set)`,
      );
    }
    this.repo.set(SETTINGS.provider.key, SETTINGS.provider.spec, provider);
    if (live.provider.id !== provider) this.switchProvider(live, provider, key);
    return this.changed();
  }

  /** Stores (or with null removes) the API key in the secret store; never in the ledger. */
  setApiKey(apiKey: string | null): SettingsView {
    const live = this.live();
    if (this.env[API_KEY_ENV]) {
      throw new AppError(
        'conflict',
        `apiKey: the key comes from the ${API_KEY_ENV} environment variable; change it there and restart the engine`,
      );
    }
    try {
      this.secrets.set('anthropic-api-key', apiKey);
    } catch (error) {
      // "Saved" must mean saved: a keychain that refused the write is the person's to know.
      const reason = error instanceof Error ? error.message : String(error);
      throw new AppError(
        'unavailable',
        `apiKey: the key was not ${apiKey === null ? 'removed' : 'saved'} (${this.secrets.where}): ${safeMessage(reason)}`,
      );
    }
    if (live.provider.id === 'anthropic') {
      // Calls from now on use the new key; without one the API cannot be called at all.
      if (apiKey === null) {
        this.repo.set(SETTINGS.provider.key, SETTINGS.provider.spec, 'simulated');
        this.switchProvider(live, 'simulated', null);
      } else {
        this.switchProvider(live, 'anthropic', apiKey);
      }
    }
    return this.changed();
  }

  /** Saves pool limits and gives them to the limiter (learned header limits win again on the next response). */
  setPoolLimits(limits: AllPoolLimits): SettingsView {
    const live = this.live();
    const saved = this.repo.set(SETTINGS.poolLimits.key, SETTINGS.poolLimits.spec, limits);
    if (saved) for (const pool of POOLS) live.limiter.setLimits(pool, saved[pool]);
    return this.changed();
  }

  /** Saves a price table that only adds rows, and prices calls with it from now on. */
  setPriceTable(table: PriceTable): SettingsView {
    const live = this.live();
    checkPriceTableEdit(this.priceTable(), table);
    const saved = this.repo.set(SETTINGS.priceTable.key, SETTINGS.priceTable.spec, table);
    if (saved) {
      const pricer = new Pricer(saved);
      for (const target of live.pricers) target.setPricer(pricer);
    }
    return this.changed();
  }

  /** The idle timeout new missions start with; running missions keep theirs. */
  setIdleTimeout(idleTimeoutSec: number): SettingsView {
    const live = this.live();
    this.repo.set(SETTINGS.idleTimeoutSec.key, SETTINGS.idleTimeoutSec.spec, idleTimeoutSec);
    live.engine.setDefaults({ idleTimeoutSec });
    return this.changed();
  }

  setAlertThresholds(thresholds: AlertThresholds): SettingsView {
    const resolved = resolveAlertThresholds(thresholds);
    if (!resolved.ok) throw new AppError(resolved.error.code, resolved.error.message.replace(/^thresholds\./, 'alertThresholds.'));
    this.repo.set(SETTINGS.alertThresholds.key, SETTINGS.alertThresholds.spec, resolved.data);
    return this.changed();
  }

  /**
   * Saves (or with null removes) the fleet's Redis URL for the next start; the running
   * engine keeps the Redis it started with (its queues and workers are bound to it). A URL
   * with a password never gets here: the contract refuses to save one.
   */
  setFleetRedisUrl(redisUrl: string | null): SettingsView {
    this.repo.set(SETTINGS.fleetRedisUrl.key, SETTINGS.fleetRedisUrl.spec, redisUrl);
    return this.changed();
  }

  /** The GitHub token pull requests are opened with (unmasked: main only, for `publish/`), null when none. */
  githubToken(): string | null {
    return this.secrets.get('github-token');
  }

  /** Stores (or with null removes) the GitHub token in the secret store; never in the ledger. */
  setGithubToken(token: string | null): SettingsView {
    try {
      this.secrets.set('github-token', token);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new AppError(
        'unavailable',
        `token: the GitHub token was not ${token === null ? 'removed' : 'saved'} (${this.secrets.where}): ${safeMessage(reason)}`,
      );
    }
    return this.changed();
  }

  private githubView(): SettingsView['github'] {
    const token = this.githubToken();
    return { set: token !== null, masked: token === null ? null : maskGithubToken(token), volatile: token !== null && !this.secrets.persistent };
  }

  private apiBaseUrlView(): SettingsView['apiBaseUrl'] {
    const { url, source, saved, problem } = this.apiBaseUrl();
    return { saved, effective: url, source, problem };
  }

  private fleetView(): SettingsView['fleet'] {
    const saved = this.fleetRedisUrl();
    return {
      redisUrl: saved === null ? null : maskRedisUrl(saved),
      activeRedisUrl: this.activeFleet ? maskRedisUrl(this.activeFleet.redisUrl) : null,
      activeSource: this.activeFleet?.source ?? null,
    };
  }

  private switchProvider(live: LiveSettingsTargets, id: ProviderId, apiKey: string | null): void {
    live.provider.use(id, live.makeProvider(id, apiKey));
    // The simulation's roomy limits would earn the real API a burst of 429s, and the
    // API's tier 1 would throttle the simulation: follow the provider unless a person chose.
    if (this.storedPoolLimits() === null) {
      const limits = live.defaultPoolLimits(id);
      for (const pool of POOLS) live.limiter.setLimits(pool, limits[pool]);
    }
    live.onProviderChanged?.(id);
  }

  private live(): LiveSettingsTargets {
    if (!this.targets) throw new AppError('unavailable', 'the engine is still starting; try again in a moment');
    return this.targets;
  }

  private changed(): SettingsView {
    const view = this.view();
    this.targets?.emit?.(view);
    return view;
  }
}
