import { EventEmitter } from 'node:events';
import type { HandlerDetails, Session, WebContents, WindowOpenHandlerResponse } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  denyAllPermissions,
  hardenWebContents,
  setupNavigationGuards,
  setupPermissionDenial,
} from './hardening.js';
import { APP_ENTRY_URL } from './security.js';

const fakeElectron = vi.hoisted(() => {
  const listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  return {
    listeners,
    app: {
      on: (name: string, listener: (...args: unknown[]) => void) => {
        listeners.set(name, [...(listeners.get(name) ?? []), listener]);
      },
    },
    session: { defaultSession: undefined as unknown },
  };
});
vi.mock('electron', () => ({ app: fakeElectron.app, session: fakeElectron.session }));

class FakeContents extends EventEmitter {
  openHandler: ((details: HandlerDetails) => WindowOpenHandlerResponse) | undefined;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.openHandler = handler;
  }

  /** Emits a navigation-style event and reports whether a listener cancelled it. */
  navigate(name: string, url: string, isMainFrame = true): boolean {
    let prevented = false;
    this.emit(name, { url, isMainFrame, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

function setup() {
  const contents = new FakeContents();
  const openExternal = vi.fn((_url: string) => Promise.resolve());
  hardenWebContents(contents as unknown as WebContents, openExternal);
  return { contents, openExternal };
}

describe('hardenWebContents', () => {
  it('lets the app navigate within its own origin', () => {
    const { contents, openExternal } = setup();
    expect(contents.navigate('will-navigate', APP_ENTRY_URL)).toBe(false);
    expect(contents.navigate('will-navigate', 'app://control-room/index.html#teams')).toBe(false);
    expect(contents.navigate('will-redirect', APP_ENTRY_URL)).toBe(false);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('refuses a top-level navigation away and sends an http(s) link to the browser', () => {
    const { contents, openExternal } = setup();
    expect(contents.navigate('will-navigate', 'https://docs.anthropic.com/')).toBe(true);
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://docs.anthropic.com/');
  });

  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,x',
    'app://evil/',
    'smb://host/share',
  ])('refuses navigating to %s and opens nothing', (url) => {
    const { contents, openExternal } = setup();
    expect(contents.navigate('will-navigate', url)).toBe(true);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('refuses redirects away without opening anything', () => {
    const { contents, openExternal } = setup();
    expect(contents.navigate('will-redirect', 'https://evil.example/')).toBe(true);
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('keeps subframes on the app and leaves the main frame to will-navigate', () => {
    const { contents } = setup();
    expect(contents.navigate('will-frame-navigate', 'https://evil.example/', false)).toBe(true);
    expect(contents.navigate('will-frame-navigate', APP_ENTRY_URL, false)).toBe(false);
    expect(contents.navigate('will-frame-navigate', 'https://docs.anthropic.com/', true)).toBe(false);
  });

  it('denies every new window, opening http(s) ones in the browser', () => {
    const { contents, openExternal } = setup();
    const open = (url: string) => contents.openHandler?.({ url } as HandlerDetails);
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    expect(open(APP_ENTRY_URL)).toEqual({ action: 'deny' });
    expect(open('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://example.com/');
  });

  it('refuses to attach a webview', () => {
    const { contents } = setup();
    let prevented = false;
    contents.emit(
      'will-attach-webview',
      { preventDefault: () => (prevented = true) },
      {},
      { src: 'https://x/' },
    );
    expect(prevented).toBe(true);
  });
});

describe('setupNavigationGuards', () => {
  beforeEach(() => fakeElectron.listeners.clear());

  it('hardens every web contents the app creates', () => {
    setupNavigationGuards(() => Promise.resolve());
    const created = fakeElectron.listeners.get('web-contents-created');
    expect(created).toHaveLength(1);
    const contents = new FakeContents();
    created?.[0]?.({}, contents);
    expect(contents.navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.openHandler).toBeDefined();
  });
});

describe('permissions', () => {
  function fakeSession() {
    const handlers: {
      request?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
      check?: () => boolean;
      device?: () => boolean;
    } = {};
    const target = {
      setPermissionRequestHandler: (h: typeof handlers.request) => (handlers.request = h),
      setPermissionCheckHandler: (h: typeof handlers.check) => (handlers.check = h),
      setDevicePermissionHandler: (h: typeof handlers.device) => (handlers.device = h),
    };
    return { target: target as unknown as Session, handlers };
  }

  it('denies every request, check and device permission', () => {
    const { target, handlers } = fakeSession();
    denyAllPermissions(target);
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      handlers.request?.({}, permission, callback);
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    }
    expect(handlers.check?.()).toBe(false);
    expect(handlers.device?.()).toBe(false);
  });

  it('covers the default session and every later one', () => {
    fakeElectron.listeners.clear();
    const defaults = fakeSession();
    fakeElectron.session.defaultSession = defaults.target;
    setupPermissionDenial();
    expect(defaults.handlers.check?.()).toBe(false);
    const later = fakeSession();
    fakeElectron.listeners.get('session-created')?.[0]?.(later.target);
    expect(later.handlers.check?.()).toBe(false);
  });
});
