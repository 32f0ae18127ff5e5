import { describe, expect, it } from 'vitest';
import type { ApiKeyStatus } from '../../../../src/shared/contract/settings.js';
import { apiKeyBadgeText, apiKeySavedText } from './api-key-text.js';

const status = (over: Partial<ApiKeyStatus>): ApiKeyStatus => ({
  set: true,
  masked: 'sk-ant-…WXYZ',
  source: 'settings',
  volatile: false,
  storage: 'key-file',
  ...over,
});

describe('what Settings and the top bar say about the key', () => {
  it('says what was saved and where it is kept', () => {
    expect(apiKeySavedText(status({ storage: 'keychain' }))).toBe('Saved sk-ant-…WXYZ in the OS keychain.');
    expect(apiKeySavedText(status({ storage: 'key-file' }))).toBe('Saved sk-ant-…WXYZ in a key file readable only by you.');
    expect(apiKeySavedText(status({ storage: 'memory', volatile: true }))).toBe('Saved sk-ant-…WXYZ for this session only.');
    expect(apiKeySavedText(status({ storage: 'safe-storage' }))).toBe('Saved sk-ant-…WXYZ encrypted with the OS keychain.');
    expect(apiKeySavedText(status({ set: false, masked: null, source: null }))).toBe('Key removed.');
  });

  it('shows the mask in the top bar, or that there is no key', () => {
    expect(apiKeyBadgeText(status({}))).toBe('API key sk-ant-…WXYZ');
    expect(apiKeyBadgeText(status({ set: false, masked: null, source: null }))).toBe('No API key');
  });
});
