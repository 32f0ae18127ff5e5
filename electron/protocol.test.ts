import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { contentTypeFor, createAppRequestHandler, registerAppScheme, setupAppProtocol } from './protocol.js';
import { CONTENT_SECURITY_POLICY } from './security.js';

const electron = vi.hoisted(() => ({
  registerSchemesAsPrivileged: vi.fn(),
  handle: vi.fn(),
}));
vi.mock('electron', () => ({ protocol: electron }));

let base: string;
let root: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'cr-protocol-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Control Room</title>');
  writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'export {};');
  writeFileSync(path.join(root, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(path.join(root, 'icon.svg'), '<svg/>');
  // A sibling of the root, the target of every traversal attempt below.
  writeFileSync(path.join(base, 'secret.txt'), 'top secret');
  handler = createAppRequestHandler(root);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('createAppRequestHandler', () => {
  it('serves / as index.html with the CSP as a header', async () => {
    const response = await get('app://control-room/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('Control Room');
  });

  it('serves module scripts, styles and images with their MIME types', async () => {
    const js = await get('app://control-room/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toBe('export {};');
    expect((await get('app://control-room/assets/index-abc.css')).headers.get('content-type')).toMatch(
      /^text\/css/,
    );
    expect((await get('app://control-room/icon.svg')).headers.get('content-type')).toBe('image/svg+xml');
  });

  it('ignores the query string and fragment', async () => {
    expect((await get('app://control-room/index.html?x=1#y')).status).toBe(200);
  });

  it('answers HEAD without a body', async () => {
    const response = await get('app://control-room/index.html', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).not.toBeNull();
    expect(await response.text()).toBe('');
  });

  it('refuses other methods', async () => {
    const response = await get('app://control-room/index.html', 'POST');
    expect(response.status).toBe(405);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it.each([
    'app://control-room/%2e%2e/secret.txt',
    'app://control-room/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'app://control-room/..%2fsecret.txt',
    'app://control-room/%2F..%2Fsecret.txt',
    'app://control-room/assets/..%5c..%5csecret.txt',
    'app://control-room/index.html%00.js',
  ])('never serves a file outside the root: %s', async (url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('top secret');
  });

  it('answers 404 for a missing file, a directory, and another host', async () => {
    expect((await get('app://control-room/missing.js')).status).toBe(404);
    expect((await get('app://control-room/assets')).status).toBe(404);
    expect((await get('app://control-room/assets/')).status).toBe(404);
    expect((await get('app://other-host/index.html')).status).toBe(404);
  });

  it('does not read the disk for a refused path', async () => {
    const read = vi.fn(() => Promise.resolve(new Uint8Array()));
    const guarded = createAppRequestHandler(root, read);
    // (`%2e%2e/` itself is folded by the URL parser, as in Chromium, and stays inside.)
    for (const url of ['app://control-room/..%2fsecret.txt', 'app://control-room/a%5c..%5c..%5csecret.txt']) {
      expect((await guarded(new Request(url))).status).toBe(404);
    }
    expect(read).not.toHaveBeenCalled();
  });
});

describe('contentTypeFor', () => {
  it('falls back to an opaque type the browser will not sniff or execute', () => {
    expect(contentTypeFor('/x/file.unknown')).toBe('application/octet-stream');
    expect(contentTypeFor('/x/noext')).toBe('application/octet-stream');
    expect(contentTypeFor('/x/APP.JS')).toMatch(/^text\/javascript/);
  });
});

describe('registration', () => {
  it('registers app: as standard, secure, fetch- and CORS-capable (Vite emits crossorigin module scripts), nothing more', () => {
    registerAppScheme();
    expect(electron.registerSchemesAsPrivileged).toHaveBeenCalledExactlyOnceWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
    ]);
  });

  it('handles the app scheme', () => {
    setupAppProtocol(root);
    expect(electron.handle).toHaveBeenCalledExactlyOnceWith('app', expect.any(Function));
  });
});
