import { quote } from './quote.js';

// WHATWG URL is a global wherever this runs (Node, every browser) but ES2023's lib, the only
// one src/shared compiles with, does not declare it; this is the part of it used here.
declare const URL: new (input: string) => {
  protocol: string;
  username: string;
  password: string;
  hostname: string;
  search: string;
  hash: string;
};

/** Where the Messages API lives unless a setting or `ANTHROPIC_BASE_URL` says otherwise. */
export const DEFAULT_API_BASE_URL = 'https://api.anthropic.com';

/** The environment variable the Anthropic SDK (and Claude Code) read a base URL from. */
export const API_BASE_URL_ENV = 'ANTHROPIC_BASE_URL';

/** Longest base URL accepted: far above any real one, short enough to refuse a pasted file. */
export const MAX_API_BASE_URL_LENGTH = 2_048;

/**
 * Where the upstream in use came from: saved in Settings (wins), `ANTHROPIC_BASE_URL` in
 * the engine's environment (when nothing is saved), or the public API.
 */
export type ApiBaseUrlSource = 'settings' | 'env' | 'default';

/**
 * Why `value` cannot be the Messages API's base URL, or null when it can: an `http://` or
 * `https://` URL with a host, and nothing a secret could hide in. A user or password in
 * it, a query or a fragment are refused without repeating the value (the ledger keeps no
 * secrets, and a message may end up on screen or in a log; the SDK also appends its paths
 * to the base, which a query would break). Other refusals quote the value, cut short.
 */
export function apiBaseUrlProblem(value: string): string | null {
  const expected = `must be an http:// or https:// URL such as ${DEFAULT_API_BASE_URL}`;
  if (value.length > MAX_API_BASE_URL_LENGTH) return `must be at most ${MAX_API_BASE_URL_LENGTH} characters`;
  // Before parsing: an '@' in the authority is a user (and perhaps a password) however it parses.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return 'must not carry a user or password (the ledger keeps no secrets): give the address only, and the key as the API key';
  }
  let url: InstanceType<typeof URL>;
  try {
    url = new URL(value);
  } catch {
    return `${expected}, not ${quote(value)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${expected}, not ${quote(value)}`;
  if (url.username || url.password) {
    return 'must not carry a user or password (the ledger keeps no secrets): give the address only, and the key as the API key';
  }
  if (url.search || url.hash || /[?#]/.test(value)) {
    return 'must not have a query (?...) or a fragment (#...): give the address only (the API paths are added to it)';
  }
  if (!url.hostname) return `${expected}, not ${quote(value)}`;
  return null;
}
