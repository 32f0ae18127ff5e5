import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  APP_CSP_DIRECTIVES,
  APP_ENTRY_URL,
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  SECURE_WEB_PREFERENCES,
  buildCsp,
  isAppUrl,
  isSafeExternalUrl,
  isTrustedSenderUrl,
  openExternalSafely,
  resolveInsideRoot,
  windowWebPreferences,
} from './security.js';

describe('isAppUrl', () => {
  it.each([
    APP_ENTRY_URL,
    `${APP_ORIGIN}/`,
    `${APP_ORIGIN}`,
    `${APP_ORIGIN}/assets/index-abc.js?v=1#top`,
    'APP://Control-Room/index.html',
  ])('accepts %s', (url) => {
    expect(isAppUrl(url)).toBe(true);
  });

  it.each([
    'app://control-room.evil.com/index.html',
    'app://evil/index.html',
    'app://evil@control-room/index.html',
    'app://user:pass@control-room/',
    'app://control-room:8080/',
    'app:control-room/index.html',
    'app:///index.html',
    'https://control-room/index.html',
    'http://localhost:5173/',
    'file:///app/dist/renderer/index.html',
    'about:blank',
    'devtools://devtools/bundled/inspector.html',
    'javascript:alert(1)',
    '',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAppUrl(url)).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['app://control-room/']])('refuses the non-string %j', (value) => {
    expect(isAppUrl(value)).toBe(false);
  });
});

describe('isTrustedSenderUrl', () => {
  it('trusts only the main frame of our own origin', () => {
    expect(isTrustedSenderUrl(APP_ENTRY_URL, true)).toBe(true);
    expect(isTrustedSenderUrl(`${APP_ORIGIN}/other.html`, true)).toBe(true);
  });

  it('refuses subframes, even same-origin ones', () => {
    expect(isTrustedSenderUrl(APP_ENTRY_URL, false)).toBe(false);
  });

  it('refuses any other origin in the main frame', () => {
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'about:blank', 'app://evil/', '']) {
      expect(isTrustedSenderUrl(url, true)).toBe(false);
    }
  });

  it('refuses a truthy non-boolean isMainFrame', () => {
    expect(isTrustedSenderUrl(APP_ENTRY_URL, 1 as unknown as boolean)).toBe(false);
  });
});

describe('isSafeExternalUrl', () => {
  it.each(['https://docs.anthropic.com/', 'http://example.com/path?q=1#x', 'HTTPS://Example.com'])(
    'accepts %s',
    (url) => {
      expect(isSafeExternalUrl(url)).toBe(true);
    },
  );

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'file:///etc/passwd',
    'file://server/share',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    'smb://server/share',
    'ms-msdt:/id',
    'vscode://file/etc/passwd',
    'app://control-room/index.html',
    'mailto:someone@example.com',
    'ftp://example.com/',
    'http://',
    '//example.com/',
    '/relative/path',
    '',
  ])('refuses %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });

  it('accepts what WHATWG canonicalises to an http(s) URL with a host', () => {
    // `https:example.com` means `https://example.com/` to every browser.
    expect(isSafeExternalUrl('https:example.com')).toBe(true);
  });

  it('refuses non-strings', () => {
    expect(isSafeExternalUrl(undefined)).toBe(false);
    expect(isSafeExternalUrl(new URL('https://example.com/'))).toBe(false);
  });
});

describe('openExternalSafely', () => {
  it('opens a safe URL, canonicalised', async () => {
    const open = vi.fn(() => Promise.resolve());
    expect(openExternalSafely('HTTPS://Example.com/a b', open)).toBe(true);
    expect(open).toHaveBeenCalledExactlyOnceWith('https://example.com/a%20b');
  });

  it('never calls the opener for an unsafe URL', () => {
    const open = vi.fn(() => Promise.resolve());
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'data:,x', 'custom://x', 42]) {
      expect(openExternalSafely(url, open)).toBe(false);
    }
    expect(open).not.toHaveBeenCalled();
  });

  it('reports a rejected open instead of leaving an unhandled rejection', async () => {
    const failure = new Error('no browser');
    const onError = vi.fn();
    expect(openExternalSafely('https://example.com/', () => Promise.reject(failure), onError)).toBe(true);
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(failure));
  });

  it('does not throw when the opener throws synchronously', () => {
    const onError = vi.fn();
    const open = (): Promise<void> => {
      throw new Error('boom');
    };
    expect(openExternalSafely('https://example.com/', open, onError)).toBe(false);
    expect(onError).toHaveBeenCalledOnce();
  });
});

describe('resolveInsideRoot', () => {
  const root = path.resolve('/srv/app/dist/renderer');

  it('maps ordinary asset paths inside the root', () => {
    expect(resolveInsideRoot(root, '/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInsideRoot(root, '/assets/index-abc123.js')).toBe(
      path.join(root, 'assets', 'index-abc123.js'),
    );
    expect(resolveInsideRoot(root, '/assets/my%20file.css')).toBe(path.join(root, 'assets', 'my file.css'));
  });

  it('accepts a root given with a trailing separator or unnormalised', () => {
    expect(resolveInsideRoot(`${root}/`, '/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInsideRoot(`${root}/../renderer`, '/index.html')).toBe(path.join(root, 'index.html'));
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/%2e%2E/etc/passwd',
    '/assets/%2e%2e%2f%2e%2e%2fsecret',
    '/..%2fsecret',
    '/..%5csecret',
    '/assets\\..\\..\\secret',
    '/./index.html',
    '/%2e/index.html',
  ])('refuses traversal %s', (requestPath) => {
    expect(resolveInsideRoot(root, requestPath)).toBeNull();
  });

  it.each([
    '//etc/passwd',
    '/%2fetc/passwd',
    '/%2Fetc%2Fpasswd',
    'etc/passwd',
    '',
    '/',
    '/assets/',
    '/assets//index.js',
  ])('refuses absolute or empty paths %j', (requestPath) => {
    expect(resolveInsideRoot(root, requestPath)).toBeNull();
  });

  it.each(['/index.html%00.png', '/index.html\u0000', '/a%0ab', '/a%7Fb'])(
    'refuses control characters %j',
    (p) => {
      expect(resolveInsideRoot(root, p)).toBeNull();
    },
  );

  it.each(['/%E0%A4%A', '/%', '/%zz'])('refuses malformed escapes %s', (requestPath) => {
    expect(resolveInsideRoot(root, requestPath)).toBeNull();
  });

  it('refuses a non-string path', () => {
    expect(resolveInsideRoot(root, undefined as unknown as string)).toBeNull();
  });

  describe('with Windows paths', () => {
    const winRoot = 'C:\\Program Files\\Control Room\\resources\\app.asar\\dist\\renderer';

    it('maps ordinary paths', () => {
      expect(resolveInsideRoot(winRoot, '/assets/index.js', path.win32)).toBe(`${winRoot}\\assets\\index.js`);
    });

    it.each([
      '/C:/Windows/win.ini',
      '/C%3A/Windows/win.ini',
      '/c:%5cWindows%5cwin.ini',
      '/index.html::$DATA',
      '/..%5c..%5csecret',
      '/%5c%5cserver%5cshare',
      '/assets/..\\..\\secret',
    ])('refuses %s', (requestPath) => {
      expect(resolveInsideRoot(winRoot, requestPath, path.win32)).toBeNull();
    });
  });
});

describe('buildCsp', () => {
  it('writes the exact policy the renderer is served with', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });

  it('allows no inline or eval code anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:|blob:/);
  });

  it('keeps the directive table frozen', () => {
    expect(Object.isFrozen(APP_CSP_DIRECTIVES)).toBe(true);
  });

  it.each([
    [{ 'script-src': ["'self'; script-src *"] }],
    [{ 'script-src': ["'self' https:"] }],
    [{ 'script-src': ["'self',"] }],
    [{ 'script-src; img-src': ["'self'"] }],
    [{ 'script-src': [] }],
    [{ 'Script-Src': ["'self'"] }],
  ])('refuses a directive that would inject another: %j', (directives) => {
    expect(() => buildCsp(directives)).toThrow();
  });
});

describe('SECURE_WEB_PREFERENCES', () => {
  const baseline = {
    contextIsolation: true,
    sandbox: true,
    webSecurity: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
  } as const;

  it.each(Object.entries(baseline))('sets %s explicitly to %s', (flag, value) => {
    expect(Object.hasOwn(SECURE_WEB_PREFERENCES, flag)).toBe(true);
    expect(SECURE_WEB_PREFERENCES[flag as keyof typeof baseline]).toBe(value);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
    expect(() => {
      (SECURE_WEB_PREFERENCES as { sandbox: boolean }).sandbox = false;
    }).toThrow(TypeError);
  });

  it('carries no preload or other loosening option', () => {
    const loosening = [
      'preload',
      'additionalArguments',
      'enableBlinkFeatures',
      'disableBlinkFeatures',
      'partition',
    ];
    for (const key of loosening) expect(Object.hasOwn(SECURE_WEB_PREFERENCES, key)).toBe(false);
  });

  it('windowWebPreferences adds the preload and keeps every baseline flag', () => {
    const prefs = windowWebPreferences('/app/dist/electron/preload.cjs');
    expect(prefs).toEqual({ ...SECURE_WEB_PREFERENCES, preload: '/app/dist/electron/preload.cjs' });
    expect(prefs).not.toBe(SECURE_WEB_PREFERENCES);
    expect(Object.isFrozen(prefs)).toBe(false);
  });
});
