import type Database from 'better-sqlite3';
import type { ProviderId } from '../../shared/contract/app.js';
import type { AllPoolLimits } from '../../shared/limits.js';
import { createGateway, type DrainableGateway } from '../calls/gateway.js';
import { BudgetGuard, ledgerSpendSource } from '../ledger/budgets.js';
import { CallsRepository, type CallRecord, type SettleOutcome } from '../ledger/calls-repository.js';
import { Pricer } from '../ledger/pricing.js';
import { RateLimiter } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import type { ModelProvider } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { ProviderSwitch, type SettingsService } from '../settings/index.js';
import type { Closing } from './steps.js';

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

/** An account's limits before it has said its own: the simulation's or the first tier's. */
export function defaultPoolLimits(id: ProviderId): AllPoolLimits {
  return id === 'simulated' ? SIMULATED_LIMITS : STARTING_LIMITS;
}

export interface CallsStepOptions {
  db: Database.Database;
  provider: ProviderId;
  /** Simulated provider only: 0 answers at once (tests, benchmarks). Default 1. */
  latencyScale?: number | undefined;
  seed?: number | undefined;
  /** Told after each call's ledger row is written (the cost dashboard refreshes on it). */
  onCallRecorded?: ((record: CallRecord, costNano: number) => void) | undefined;
}

/** Everything a model call passes through, for the steps after this one. */
export interface Calls extends Closing {
  /** The one gateway: the engine's calls, and Claude Code's forwarded ones. */
  gateway: DrainableGateway;
  limiter: RateLimiter;
  budgets: BudgetGuard;
  /** Prices the ledger's rows; Settings swaps its price table. */
  calls: CallsRepository;
  /** The provider behind the gateway; Settings may switch what is behind it. */
  provider: ProviderSwitch;
  /** What a crash had left in flight and was settled at this start. */
  settled: SettleOutcome;
  makeProvider(id: ProviderId, apiKey: string | null): ModelProvider;
}

/**
 * The call pipeline (`calls/`): the provider (the simulation unless the API is chosen),
 * the shared rate limiter, budget caps and the calls ledger behind one gateway. Before any
 * call is admitted, the attempts a crash left in flight (message_start recorded, end not)
 * are settled into the ledger, so budgets count them. The Anthropic provider sends to the
 * upstream Settings resolves (saved URL, `ANTHROPIC_BASE_URL`, the public API). Its
 * shutdown waits (bounded) until calls in flight are recorded, then stops the limiter.
 */
export function setupCalls(options: CallsStepOptions, settings: SettingsService): Calls {
  const pricer = new Pricer(settings.priceTable());
  const calls = new CallsRepository(options.db, pricer);
  // One ledger serves one engine: what is in flight now was left by this engine's last run.
  const settled = calls.settleInFlight();
  const budgets = new BudgetGuard({ spend: ledgerSpendSource(options.db), pricer });
  const simulated = options.provider === 'simulated';
  const limiter = new RateLimiter({
    pools: settings.storedPoolLimits() ?? defaultPoolLimits(options.provider),
    ...(simulated ? { rampStartFraction: 1 } : {}),
  });
  const makeProvider = (id: ProviderId, apiKey: string | null): ModelProvider => {
    if (id === 'simulated') {
      return new SimulatedProvider({ seed: options.seed ?? 1, latencyScale: options.latencyScale ?? 1 });
    }
    if (!apiKey) throw new Error('the Anthropic provider needs ANTHROPIC_API_KEY');
    const upstream = settings.apiBaseUrl();
    if (upstream.url === null) throw new Error(upstream.problem ?? 'the API base URL is refused');
    return new AnthropicProvider({ apiKey, baseURL: upstream.url });
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
  return {
    gateway,
    limiter,
    budgets,
    calls,
    provider,
    settled,
    makeProvider,
    close: () => limiter.close(),
    async shutdown(timeoutMs) {
      await gateway.drain(timeoutMs);
      limiter.close();
    },
  };
}
