import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

/**
 * The Content-Type for a file, by extension. Unknown kinds are served as opaque bytes,
 * which together with `nosniff` means a browser never runs them as script or page.
 */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Splits a request's raw path (before `?`) into decoded segments, or answers null for
 * anything that could step outside the static root: `.`/`..` segments (also written as
 * `%2e%2e`), encoded or literal backslashes, encoded slashes, NUL bytes and malformed
 * escapes. The raw path is checked, not the URL parser's output, because the parser
 * silently folds `..` away and the point is to refuse such requests, not to guess.
 */
export function decodeRequestPath(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null;
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '.' || segment === '..') return null;
    if (/[/\\\0]/.test(segment)) return null;
    // A drive letter ("C:") would make the segment absolute on Windows.
    if (/^[A-Za-z]:/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

/**
 * Joins decoded segments under `root` and proves the result is still inside it. A
 * second line of defence behind {@link decodeRequestPath}: null when it is not.
 */
export function resolveInside(root: string, segments: readonly string[]): string | null {
  const base = resolve(root);
  const target = resolve(base, ...segments);
  if (target === base) return target;
  return target.startsWith(base.endsWith(sep) ? base : base + sep) ? target : null;
}

/** True when the last segment names a file (has an extension): a miss is a 404, not the SPA. */
export function looksLikeFile(segments: readonly string[]): boolean {
  const last = segments.at(-1);
  return last !== undefined && extname(last) !== '';
}

/**
 * Vite fingerprints everything under `/assets/`, so those can be cached for good;
 * `index.html` must never be, or a rebuilt renderer would load stale asset names.
 */
export function cacheControlFor(segments: readonly string[]): string {
  if (segments.length > 1 && segments[0] === 'assets') return 'public, max-age=31536000, immutable';
  return 'no-store';
}
