import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { BudgetGuard, ledgerSpendSource } from '../ledger/budgets.js';
import { CallsRepository } from '../ledger/calls-repository.js';
import { defaultPricer } from '../ledger/pricing.js';
import { RateLimiter } from '../limiter/index.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { createGateway } from '../llm/gateway.js';
import type { ModelGateway } from '../llm/gateway-types.js';
import type { ModelProvider } from '../llm/provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import type { ProviderId } from '../../shared/contract/app.js';
import { MissionEngine, type MissionEngineOptions } from './mission-engine.js';
import type { EngineEventSink } from './mission-runtime.js';

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
}

export interface EngineServices {
  engine: MissionEngine;
  gateway: ModelGateway;
  limiter: RateLimiter;
  budgets: BudgetGuard;
  close(): void;
}

// Conservative starting limits (Anthropic's first usage tier); real responses' headers
// replace them as soon as the first call returns.
const STARTING_LIMITS = {
  opus: { rpm: 50, itpm: 30_000, otpm: 8_000 },
  sonnet: { rpm: 50, itpm: 30_000, otpm: 8_000 },
  haiku: { rpm: 50, itpm: 50_000, otpm: 10_000 },
};
// The simulation has no account limits; these only keep thousands of agents orderly.
const SIMULATED_LIMITS = {
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
  const pricer = defaultPricer();
  const calls = new CallsRepository(options.db, pricer);
  const budgets = new BudgetGuard({ spend: ledgerSpendSource(options.db), pricer });
  const simulated = options.provider === 'simulated';
  const limiter = new RateLimiter({
    pools: simulated ? SIMULATED_LIMITS : STARTING_LIMITS,
    ...(simulated ? { rampStartFraction: 1 } : {}),
  });
  let provider: ModelProvider;
  if (simulated) {
    provider = new SimulatedProvider({ seed: options.seed ?? 1, latencyScale: options.latencyScale ?? 1 });
  } else {
    const apiKey = options.env.ANTHROPIC_API_KEY;
    if (!apiKey) throw new Error('the Anthropic provider needs ANTHROPIC_API_KEY');
    provider = new AnthropicProvider({ apiKey });
  }
  const gateway = createGateway({ provider, limiter, budgets, calls });
  const engine = new MissionEngine({
    db: options.db,
    gateway,
    budgets,
    worktreesDir: join(options.dataDir, 'worktrees'),
    ...(options.events ? { events: options.events } : {}),
    ...(options.logError ? { logError: options.logError } : {}),
    ...options.engine,
  });
  return {
    engine,
    gateway,
    limiter,
    budgets,
    close() {
      engine.close();
      limiter.close();
    },
  };
}
