import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertUsableToken,
  generateToken,
  isAllowedHost,
  isAllowedOrigin,
  locationWithoutToken,
  readCookie,
  tokensMatch,
} from './auth.js';
import { parseClientFrame } from './frames.js';
import {
  cacheControlFor,
  contentTypeFor,
  decodeRequestPath,
  looksLikeFile,
  resolveInside,
} from './static-files.js';

describe('tokens', () => {
  it('are fresh, long and URL-safe', () => {
    const a = generateToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
    expect(() => assertUsableToken(a)).not.toThrow();
    for (const weak of ['', 'short', 'has spaces in it!!', 'a;b=c'.repeat(5)]) {
      expect(() => assertUsableToken(weak), weak).toThrow();
    }
  });

  it('match only exactly', () => {
    const token = generateToken();
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token.slice(0, -1), token)).toBe(false);
    expect(tokensMatch(`${token}x`, token)).toBe(false);
    expect(tokensMatch('', token)).toBe(false);
    expect(tokensMatch(undefined, token)).toBe(false);
  });
});

describe('request checks', () => {
  it('accepts only its own host and origin', () => {
    expect(isAllowedHost('127.0.0.1:4000', 4000)).toBe(true);
    expect(isAllowedHost('LOCALHOST:4000', 4000)).toBe(true);
    expect(isAllowedHost('127.0.0.1', 4000)).toBe(false);
    expect(isAllowedHost('attacker.example:4000', 4000)).toBe(false);
    expect(isAllowedHost('[::1]:4000', 4000)).toBe(false);
    expect(isAllowedHost(undefined, 4000)).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:4000', 4000)).toBe(true);
    expect(isAllowedOrigin('http://localhost:4000', 4000)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:4000/', 4000)).toBe(false);
    expect(isAllowedOrigin('null', 4000)).toBe(false);
    expect(isAllowedOrigin(undefined, 4000)).toBe(false);
  });

  it('reads cookies', () => {
    expect(readCookie('a=1; cr_session_1=tok; b=2', 'cr_session_1')).toBe('tok');
    expect(readCookie('cr_session_10=x', 'cr_session_1')).toBeUndefined();
    expect(readCookie(undefined, 'x')).toBeUndefined();
  });

  it('strips the token from the redirect and keeps it on this server', () => {
    const at = (path: string) => new URL(`http://127.0.0.1:1${path}`);
    expect(locationWithoutToken(at('/?token=abc'))).toBe('/');
    expect(locationWithoutToken(at('/a/b?x=1&token=abc&y=2'))).toBe('/a/b?x=1&y=2');
    expect(locationWithoutToken(at('///evil.example/?token=abc'))).toBe('/evil.example/');
  });
});

describe('client frames', () => {
  it('parses invokes and keeps the request untouched for the dispatcher', () => {
    expect(parseClientFrame('{"kind":"invoke","id":1,"channel":"teams:get","request":{"id":"x"}}')).toEqual({
      kind: 'invoke',
      frame: { id: 1, channel: 'teams:get', request: { id: 'x' } },
    });
  });

  it('answers what it can attribute and ignores the rest', () => {
    expect(parseClientFrame('{"kind":"invoke","id":2}')).toMatchObject({ kind: 'malformed', id: 2 });
    expect(parseClientFrame('{"kind":"events","id":3}')).toMatchObject({ kind: 'malformed', id: 3 });
    for (const junk of [
      '',
      'nope',
      'null',
      '[]',
      '42',
      '{"kind":"invoke","channel":"x"}',
      '{"id":"1"}',
      '{"id":1e999}',
    ]) {
      expect(parseClientFrame(junk), junk).toEqual({ kind: 'ignored' });
    }
  });
});

describe('static paths', () => {
  it('decodes safe paths', () => {
    expect(decodeRequestPath('/')).toEqual([]);
    expect(decodeRequestPath('/assets/index-1.js')).toEqual(['assets', 'index-1.js']);
    expect(decodeRequestPath('/a%20b//c')).toEqual(['a b', 'c']);
  });

  it.each([
    '/..',
    '/a/../b',
    '/%2e%2e/x',
    '/.%2E/x',
    '/./x',
    '/a%2fb',
    '/a%5cb',
    '/a\\b',
    '/%00',
    '/%zz',
    'relative',
    '/C:/x',
  ])('refuses %s', (path) => {
    expect(decodeRequestPath(path)).toBeNull();
  });

  it('never resolves outside the root', () => {
    const root = resolve('/srv/renderer');
    expect(resolveInside(root, ['assets', 'a.js'])).toBe(join(root, 'assets', 'a.js'));
    expect(resolveInside(root, [])).toBe(root);
    expect(resolveInside(root, ['..', 'secret'])).toBeNull();
    expect(resolveInside(root, ['/etc/passwd'])).toBeNull();
    expect(resolveInside(root, ['..', 'renderer-evil', 'x'])).toBeNull();
  });

  it('knows content types and caching', () => {
    expect(contentTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('x.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('font.woff2')).toBe('font/woff2');
    expect(contentTypeFor('data.bin')).toBe('application/octet-stream');
    expect(cacheControlFor(['assets', 'index-abc.js'])).toContain('immutable');
    expect(cacheControlFor(['index.html'])).toBe('no-store');
    expect(looksLikeFile(['assets', 'x.js'])).toBe(true);
    expect(looksLikeFile(['designs', '42'])).toBe(false);
  });
});
