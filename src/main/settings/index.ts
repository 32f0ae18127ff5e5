export { maskApiKey } from './api-key.js';
export { checkPriceTableEdit, withBundledRows } from './price-table-edits.js';
export { ProviderSwitch } from './provider-switch.js';
export { MemorySecretStore, SECRET_NAMES, type SecretName, type SecretStore } from './secret-store.js';
export { EncryptedFileSecretStore, type SecretCipher } from './encrypted-secret-store.js';
export { KEY_FILE, KeyFileSecretStore } from './key-file-secret-store.js';
export { KeychainSecretStore, type KeychainEntry } from './keychain-secret-store.js';
export { openUserSecretStore, SECRET_STORE_ENV, type UserSecretStore } from './user-secret-store.js';
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
