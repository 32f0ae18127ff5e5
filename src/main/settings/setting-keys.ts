import { z } from 'zod';
import { PROVIDER_IDS } from '../../shared/contract/settings.js';
import { alertThresholdsSchema } from '../../shared/costs.js';
import { allPoolLimitsSchema } from '../../shared/limits.js';
import { priceTableSchema } from '../../shared/pricing.js';
import { LIMITS } from '../../shared/team.js';
import { redisUrlProblem } from '../../shared/validation.js';
import { apiBaseUrlProblem } from '../../shared/api-base-url.js';
import { DEFAULT_ALERT_THRESHOLDS } from '../ledger/alerts.js';
import type { SettingSpec } from '../ledger/settings-repository.js';

/**
 * The ledger keys of the Settings area and their schemas. `null` means "never saved":
 * the engine's start-up default applies. Other parts of main (the cost dashboard's
 * alerts) read them through `SettingsService`, not by key.
 */
export const SETTINGS = {
  provider: { key: 'provider', spec: { schema: z.enum(PROVIDER_IDS).nullable(), fallback: () => null } },
  poolLimits: { key: 'limits.pools', spec: { schema: allPoolLimitsSchema.nullable(), fallback: () => null } },
  priceTable: { key: 'pricing.table', spec: { schema: priceTableSchema.nullable(), fallback: () => null } },
  idleTimeoutSec: {
    key: 'missions.idleTimeoutSec',
    spec: {
      schema: z.number().int().min(LIMITS.minIdleTimeoutSec).max(LIMITS.maxIdleTimeoutSec).nullable(),
      fallback: () => null,
    },
  },
  /** Keep finished missions' team and coder branches (a mission's own choice wins); off by default. */
  keepBranches: { key: 'missions.keepBranches', spec: { schema: z.boolean(), fallback: () => false } },
  alertThresholds: {
    key: 'alerts.thresholds',
    spec: { schema: alertThresholdsSchema, fallback: () => DEFAULT_ALERT_THRESHOLDS },
  },
  /** The fleet's Redis; null = off. Read at start-up only. */
  fleetRedisUrl: {
    key: 'fleet.redisUrl',
    spec: {
      schema: z
        .string()
        .refine((url) => redisUrlProblem(url) === null, 'not a Redis URL')
        .nullable(),
      fallback: () => null,
    },
  },
  /** The Messages API's base URL; null = `ANTHROPIC_BASE_URL`, else the public API. Applies live. */
  apiBaseUrl: {
    key: 'api.baseUrl',
    spec: {
      schema: z
        .string()
        .refine((url) => apiBaseUrlProblem(url) === null, 'not an API base URL')
        .nullable(),
      fallback: () => null,
    },
  },
} as const satisfies Record<string, { key: string; spec: SettingSpec<unknown> }>;
