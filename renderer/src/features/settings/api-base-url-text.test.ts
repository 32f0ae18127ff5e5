import { describe, expect, it } from 'vitest';
import { apiBaseUrlInUseText, apiBaseUrlRequest } from './api-base-url-text.js';

describe('the API base URL field', () => {
  it('says which upstream is in use and where it comes from', () => {
    expect(apiBaseUrlInUseText({ saved: null, effective: 'https://api.anthropic.com', source: 'default', problem: null }, 'anthropic')).toBe(
      'In use: https://api.anthropic.com (the public API: nothing is saved here and ANTHROPIC_BASE_URL is not set).',
    );
    expect(apiBaseUrlInUseText({ saved: null, effective: 'http://proxy:4000', source: 'env', problem: null }, 'anthropic')).toMatch(
      /^In use: http:\/\/proxy:4000 \(from the ANTHROPIC_BASE_URL environment variable; a URL saved here wins\)\.$/,
    );
    expect(apiBaseUrlInUseText({ saved: 'https://gw.corp/anthropic', effective: 'https://gw.corp/anthropic', source: 'settings', problem: null }, 'simulated')).toBe(
      'In use: https://gw.corp/anthropic (saved here; it wins over the ANTHROPIC_BASE_URL environment variable). Used once the Anthropic API is the provider.',
    );
    expect(
      apiBaseUrlInUseText({ saved: null, effective: null, source: 'env', problem: 'ANTHROPIC_BASE_URL must not carry a user or password' }, 'anthropic'),
    ).toMatch(/^ANTHROPIC_BASE_URL must not carry a user or password\. No call is sent until/);
  });

  it('turns the text into a request, refusing what the engine would refuse before it is sent', () => {
    expect(apiBaseUrlRequest('  ')).toEqual({ apiBaseUrl: null, error: null });
    expect(apiBaseUrlRequest(' https://gw.corp/anthropic ')).toEqual({ apiBaseUrl: 'https://gw.corp/anthropic', error: null });
    expect(apiBaseUrlRequest('gw.corp').error).toBe('API base URL: must be an http:// or https:// URL such as https://api.anthropic.com, not "gw.corp"');
    const withSecret = apiBaseUrlRequest('https://me:hunter22@gw.corp');
    expect(withSecret.error).toMatch(/must not carry a user or password/);
    expect(withSecret.error).not.toContain('hunter22');
  });
});
