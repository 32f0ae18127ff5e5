import type { SettingsService } from '../../settings/index.js';
import type { Handlers } from '../dispatch.js';

type SettingsHandlers = Pick<
  Handlers,
  | 'settings:get'
  | 'settings:set-provider'
  | 'settings:set-api-key'
  | 'settings:set-pool-limits'
  | 'settings:set-price-table'
  | 'settings:set-idle-timeout'
  | 'settings:set-keep-branches'
  | 'settings:set-alert-thresholds'
  | 'settings:set-fleet-redis-url'
  | 'settings:set-api-base-url'
  | 'settings:set-github-token'
>;

/** Handlers for the Settings area: validated requests to the settings service, which answers the masked view. */
export function settingsHandlers(settings: SettingsService): SettingsHandlers {
  return {
    'settings:get': () => settings.view(),
    'settings:set-provider': ({ provider }) => settings.setProvider(provider),
    'settings:set-api-key': ({ apiKey }) => settings.setApiKey(apiKey),
    'settings:set-pool-limits': ({ poolLimits }) => settings.setPoolLimits(poolLimits),
    'settings:set-price-table': ({ priceTable }) => settings.setPriceTable(priceTable),
    'settings:set-idle-timeout': ({ idleTimeoutSec }) => settings.setIdleTimeout(idleTimeoutSec),
    'settings:set-keep-branches': ({ keepBranches }) => settings.setKeepBranches(keepBranches),
    'settings:set-alert-thresholds': ({ alertThresholds }) => settings.setAlertThresholds(alertThresholds),
    'settings:set-fleet-redis-url': ({ redisUrl }) => settings.setFleetRedisUrl(redisUrl),
    'settings:set-api-base-url': ({ apiBaseUrl }) => settings.setApiBaseUrl(apiBaseUrl),
    'settings:set-github-token': ({ token }) => settings.setGithubToken(token),
  };
}
