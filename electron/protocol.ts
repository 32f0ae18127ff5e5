// Serves the built renderer from `app://control-room/` instead of `file://`, so the page
// has a real origin (for the CSP, the sender checks and navigation rules) and can read
// nothing on disk but its own bundle.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY, resolveInsideRoot } from './security.js';

/**
 * Declares `app:` privileged. Must run before `ready`: standard (relative URLs and a
 * real origin), secure (a secure context, like https), and fetch-capable (ES modules
 * are fetched). Nothing else: no CSP bypass, no service workers, no CORS.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ]);
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The MIME type for a bundled file; module scripts are refused without a JS type. */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers on every response, errors included: the CSP travels as a header, not a meta tag. */
function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

function errorResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra },
  });
}

type ReadFile = (filePath: string) => Promise<Uint8Array<ArrayBuffer>>;

/**
 * The `app:` request handler over the bundle in `root`. GET/HEAD only, host
 * `control-room` only, `/` means `/index.html`, and every path goes through
 * `resolveInsideRoot`; anything else is a 4xx, never a file outside `root`.
 */
export function createAppRequestHandler(
  root: string,
  read: ReadFile = (filePath) => readFile(filePath),
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return errorResponse(400, 'Bad Request');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.hostname.toLowerCase() !== APP_HOST) {
      return errorResponse(404, 'Not Found');
    }
    const filePath = resolveInsideRoot(root, url.pathname === '/' ? '/index.html' : url.pathname);
    if (filePath === null) return errorResponse(404, 'Not Found');
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await read(filePath);
    } catch {
      // Missing file, a directory, or unreadable: all look the same from outside.
      return errorResponse(404, 'Not Found');
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        ...securityHeaders(),
        'Content-Type': contentTypeFor(filePath),
        'Content-Length': String(body.byteLength),
      },
    });
  };
}

/** Serves `root` (the built renderer) on `app://control-room/`. Call after `ready`. */
export function setupAppProtocol(root: string): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(root));
}
