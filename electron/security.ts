// Pure security helpers: no runtime import of `electron`, so every rule that keeps the
// renderer in its box is unit-tested in plain Node. The Electron glue only calls these.
import path from 'node:path';
import type { WebPreferences } from 'electron';

/** The privileged scheme the renderer is served from; never `file://`. */
export const APP_SCHEME = 'app';
/** The one host of that scheme; the page origin is `app://control-room`. */
export const APP_HOST = 'control-room';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** Where the main window is loaded. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

function parseUrl(url: unknown): URL | null {
  if (typeof url !== 'string' || url.length === 0) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is a page of our own bundle (`app://control-room/...`). Compares
 * scheme and host rather than `origin`, because Node's WHATWG parser reports `null` as
 * the origin of non-special schemes even though Chromium treats ours as standard; a URL
 * smuggling credentials or a port is refused outright.
 */
export function isAppUrl(url: unknown): boolean {
  const parsed = parseUrl(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname.toLowerCase() === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * The sender rule every IPC handler applies before anything else: only the top-level
 * frame of a page served from our own origin may talk to the engine. Subframes (even
 * same-origin ones) and any page that somehow navigated elsewhere are refused.
 */
export function isTrustedSenderUrl(url: unknown, isMainFrame: boolean): boolean {
  return isMainFrame === true && isAppUrl(url);
}

/** Only these schemes may ever be handed to the operating system's URL opener. */
const EXTERNAL_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:']);

/**
 * Whether `url` may be opened in the system browser: an absolute http(s) URL with a
 * host. `javascript:`, `file:`, `data:`, `smb:` and custom schemes can launch programs
 * or read local files through the OS handler, so they are refused.
 */
export function isSafeExternalUrl(url: unknown): boolean {
  const parsed = parseUrl(url);
  return parsed !== null && EXTERNAL_PROTOCOLS.has(parsed.protocol) && parsed.hostname !== '';
}

/**
 * The one door to the system browser. Opens `url` with `open` (Electron's
 * `shell.openExternal`) when it is safe, and reports whether it did; never throws,
 * because it runs inside navigation and window-open hooks.
 */
export function openExternalSafely(
  url: unknown,
  open: (url: string) => Promise<void>,
  onError: (error: unknown) => void = (error) => console.error('[control-room] openExternal failed:', error),
): boolean {
  if (!isSafeExternalUrl(url)) return false;
  // Hand the OS the canonical serialisation we validated, not the raw input.
  const href = new URL(url as string).href;
  try {
    open(href).catch(onError);
  } catch (error) {
    onError(error);
    return false;
  }
  return true;
}

// Control characters, the Windows separator and `:` (drive letters, NTFS streams) have
// no business in a bundled asset's name.
// eslint-disable-next-line no-control-regex -- the point is to match control characters
const FORBIDDEN_SEGMENT_CHARS = /[\u0000-\u001f\u007f\\:]/;

/**
 * Maps the path of an `app://` request to a file inside `root`, or `null` when it would
 * leave it. `requestPath` is the URL's still-encoded pathname. Refuses, after decoding:
 * `..` and `.` segments (including `%2e%2e`), empty segments (`//etc`), backslashes, NUL
 * and other control characters, drive letters, and malformed escapes. The final check
 * compares the resolved path with `root`, so a rule missed above still cannot escape.
 * `pathApi` is injectable so the Windows rules are tested on any platform.
 */
export function resolveInsideRoot(
  root: string,
  requestPath: string,
  pathApi: path.PlatformPath = path,
): string | null {
  if (typeof requestPath !== 'string' || !requestPath.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  const segments = decoded.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return null;
    if (FORBIDDEN_SEGMENT_CHARS.test(segment)) return null;
  }
  const base = pathApi.resolve(root);
  const candidate = pathApi.resolve(base, ...segments);
  const relative = pathApi.relative(base, candidate);
  if (relative === '' || relative.startsWith('..') || pathApi.isAbsolute(relative)) return null;
  return candidate;
}

/** A CSP as directive name -> sources, in the order they are written out. */
export type CspDirectives = Readonly<Record<string, readonly string[]>>;

const CSP_TOKEN = /^[^\s;,]+$/;

/**
 * Serialises CSP directives. Throws on a name or source containing whitespace, `;` or
 * `,`: one bad token would otherwise silently start a new directive (or policy).
 */
export function buildCsp(directives: CspDirectives): string {
  const parts: string[] = [];
  for (const [name, sources] of Object.entries(directives)) {
    if (!/^[a-z-]+$/.test(name)) throw new Error(`invalid CSP directive name ${JSON.stringify(name)}`);
    if (sources.length === 0) throw new Error(`CSP directive ${name} has no sources`);
    for (const source of sources) {
      if (!CSP_TOKEN.test(source)) throw new Error(`invalid CSP source ${JSON.stringify(source)} in ${name}`);
    }
    parts.push(`${name} ${sources.join(' ')}`);
  }
  return parts.join('; ');
}

/** The renderer's policy: our own files only, no inline code, no plugins, no framing. */
export const APP_CSP_DIRECTIVES: CspDirectives = Object.freeze({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'none'"],
});

/** Sent as a response header on every `app://` response (a meta tag can be bypassed). */
export const CONTENT_SECURITY_POLICY = buildCsp(APP_CSP_DIRECTIVES);

/**
 * The security baseline of every window, each flag set explicitly so a change of
 * Electron's defaults cannot loosen it. Frozen; `windowWebPreferences` adds the preload.
 */
export const SECURE_WEB_PREFERENCES: Readonly<WebPreferences> = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  webSecurity: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webviewTag: false,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  spellcheck: false,
  safeDialogs: true,
  navigateOnDragDrop: false,
} satisfies WebPreferences);

/** The baseline plus the preload script; a fresh object Electron may keep. */
export function windowWebPreferences(preload: string): WebPreferences {
  return { ...SECURE_WEB_PREFERENCES, preload };
}
