export { maskApiKey } from './api-key.js';
export { checkPriceTableEdit, withBundledRows } from './price-table-edits.js';
export { ProviderSwitch } from './provider-switch.js';
export { MemorySecretStore, SECRET_NAMES, type SecretName, type SecretStore } from './secret-store.js';
export { EncryptedFileSecretStore, type SecretCipher } from './encrypted-secret-store.js';
export { SETTINGS } from './setting-keys.js';
export {
  providerLabel,
  savedFleetRedisUrl,
  SettingsService,
  startupFleet,
  startupProvider,
  type LiveSettingsTargets,
  type SettingsServiceOptions,
} from './settings-service.js';
