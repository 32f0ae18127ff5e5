import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER, TOKEN_PARAM } from '../../shared/wire.js';

/** The only host browser mode ever binds to. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Tokens end up in a URL and a cookie, so only URL- and cookie-safe characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,512}$/;

/** A fresh per-launch token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Throws unless `token` is long enough and safe to put in a URL and a cookie. */
export function assertUsableToken(token: string): void {
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('the browser-mode token must be 16 to 512 characters of A-Z, a-z, 0-9, "_" or "-"');
  }
}

/**
 * Compares a presented token with the real one in constant time. Both sides are hashed
 * first so neither the length nor a common prefix of the secret leaks through timing.
 */
export function tokensMatch(presented: string | undefined | null, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The cookie's name carries the port: cookies are not isolated by port, so two
 * Control Rooms on the same machine would otherwise overwrite each other's session.
 */
export function cookieName(port: number): string {
  return `cr_session_${port}`;
}

/** The Set-Cookie value for an authenticated browser: script-proof and same-site only. */
export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Reads one cookie from a Cookie header; the first occurrence wins, as browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) found ??= part.slice(eq + 1).trim();
  }
  return found;
}

/** The origins a page served by this server has: the only ones allowed to open its WebSocket. */
export function ownOrigins(port: number): string[] {
  return [`http://${LOOPBACK_HOST}:${port}`, `http://localhost:${port}`];
}

/**
 * True when the Host header names this server. Anything else may be a DNS-rebinding
 * attack: a hostile name resolved to 127.0.0.1 makes the browser treat our responses
 * as that site's, but it still sends that site's name in Host.
 */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const lower = host.toLowerCase();
  return lower === `${LOOPBACK_HOST}:${port}` || lower === `localhost:${port}`;
}

/** True only for an Origin header exactly equal to one of this server's own origins. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return typeof origin === 'string' && ownOrigins(port).includes(origin);
}

/** Where a request's credentials came from, when it has valid ones. */
export type AuthSource = 'query' | 'header' | 'cookie';

export type AuthOutcome = { ok: true; source: AuthSource } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * Checks a request's credentials: the token in the query or header, else the session
 * cookie. A token that is present but wrong is refused even when the cookie is good,
 * so a stale link from an earlier launch fails loudly instead of half-working.
 */
export function authenticate(req: IncomingMessage, url: URL, token: string, port: number): AuthOutcome {
  const fromQuery = url.searchParams.get(TOKEN_PARAM);
  if (fromQuery !== null) {
    return tokensMatch(fromQuery, token) ? { ok: true, source: 'query' } : { ok: false, reason: 'invalid' };
  }
  const fromHeader = req.headers[TOKEN_HEADER];
  if (fromHeader !== undefined) {
    const value = Array.isArray(fromHeader) ? fromHeader[0] : fromHeader;
    return tokensMatch(value, token) ? { ok: true, source: 'header' } : { ok: false, reason: 'invalid' };
  }
  const fromCookie = readCookie(req.headers.cookie, cookieName(port));
  if (fromCookie !== undefined) {
    return tokensMatch(fromCookie, token) ? { ok: true, source: 'cookie' } : { ok: false, reason: 'invalid' };
  }
  return { ok: false, reason: 'missing' };
}

/**
 * The same path and query without the token, for the redirect that moves it from the
 * address bar into a cookie. Leading slashes are collapsed so `//evil.example/` can
 * never become a protocol-relative redirect off this server.
 */
export function locationWithoutToken(url: URL): string {
  const params = new URLSearchParams(url.searchParams);
  params.delete(TOKEN_PARAM);
  const query = params.toString();
  const path = url.pathname.replace(/^\/+/, '/');
  return query ? `${path}?${query}` : path;
}
