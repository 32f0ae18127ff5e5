import type { ApiKeyStatus, ApiKeyStorage } from '../../../../src/shared/contract/settings.js';

const STORAGE_TEXT: Record<ApiKeyStorage, string> = {
  keychain: 'in the OS keychain',
  'safe-storage': 'encrypted with the OS keychain',
  'key-file': 'in a key file readable only by you',
  memory: 'for this session only',
};

/** Where a key typed into Settings is kept, as the person reads it ("in the OS keychain"). */
export function apiKeyStorageText(storage: ApiKeyStorage): string {
  return STORAGE_TEXT[storage];
}

/** Where the key in use comes from or is kept: the environment's key is not stored by the app. */
export function apiKeyWhereText(status: ApiKeyStatus): string {
  if (status.source === 'env') return 'from the ANTHROPIC_API_KEY environment variable';
  return apiKeyStorageText(status.storage);
}

/** What Settings answers after a save: what was saved and where ("Saved sk-ant-…abcd in the OS keychain."). */
export function apiKeySavedText(status: ApiKeyStatus): string {
  if (!status.set) return 'Key removed.';
  return `Saved ${status.masked ?? 'the key'} ${apiKeyWhereText(status)}.`;
}

/** The top bar's word on the key: its mask, or that there is none. */
export function apiKeyBadgeText(status: ApiKeyStatus): string {
  return status.set ? `API key ${status.masked ?? 'set'}` : 'No API key';
}
