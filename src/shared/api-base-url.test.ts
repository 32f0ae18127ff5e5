import { describe, expect, it } from 'vitest';
import { apiBaseUrlProblem, MAX_API_BASE_URL_LENGTH } from './api-base-url.js';

describe('apiBaseUrlProblem', () => {
  it('accepts http(s) URLs with a host, a port and a path', () => {
    for (const url of ['https://api.anthropic.com', 'http://127.0.0.1:4000', 'https://gw.corp.example/anthropic/', 'http://[::1]:8080/v1proxy']) {
      expect(apiBaseUrlProblem(url), url).toBeNull();
    }
  });

  it('refuses other schemes and non-URLs, quoting the value cut short', () => {
    expect(apiBaseUrlProblem('api.anthropic.com')).toBe('must be an http:// or https:// URL such as https://api.anthropic.com, not "api.anthropic.com"');
    expect(apiBaseUrlProblem('ftp://gw.corp')).toMatch(/not "ftp:\/\/gw\.corp"$/);
    expect(apiBaseUrlProblem('file:///etc/passwd')).toMatch(/must be an http:\/\/ or https:\/\/ URL/);
    const long = `http://${'a'.repeat(200)}\u001b[2J`;
    expect(apiBaseUrlProblem(long)).toMatch(/"http:\/\/a+… \(\d+ characters\)"$/);
    expect(apiBaseUrlProblem(`https://${'a'.repeat(MAX_API_BASE_URL_LENGTH)}`)).toBe(`must be at most ${MAX_API_BASE_URL_LENGTH} characters`);
  });

  it('refuses credentials, queries and fragments without repeating them', () => {
    for (const url of ['https://me:s3cret-pass@gw.corp', 'https://s3cret-pass@gw.corp/x', 'https://gw.corp/?api_key=s3cret-pass', 'https://gw.corp/#s3cret-pass']) {
      const problem = apiBaseUrlProblem(url);
      expect(problem, url).not.toBeNull();
      expect(problem).not.toContain('s3cret');
    }
  });
});
