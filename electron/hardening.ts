// Hooks that keep every web contents on our own pages: navigation, redirects, new
// windows, <webview>, and every permission prompt are refused. Registered for all web
// contents (not only the main window), so a contents created later is covered too.
import { app, session, type Session, type WebContents } from 'electron';
import { isAppUrl, openExternalSafely } from './security.js';

type OpenExternal = (url: string) => Promise<void>;

/**
 * Applies the navigation rules to one web contents. A top-level navigation or a new
 * window to an http(s) URL (a link the user clicked) goes to the system browser through
 * `openExternalSafely`; everything not on `app://control-room` is refused in place.
 */
export function hardenWebContents(contents: WebContents, openExternal: OpenExternal): void {
  contents.on('will-navigate', (event) => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    openExternalSafely(event.url, openExternal);
  });
  // Subframes (which the CSP already confines to 'self') never leave the app either.
  // The main frame is left to will-navigate, which may hand the link to the browser.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && !isAppUrl(event.url)) event.preventDefault();
  });
  // A redirect is never user intent: refuse it without opening anything.
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url, openExternal);
    return { action: 'deny' };
  });
  // webviewTag is off in every window; this also stops a contents created without it.
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
}

/** Registers `hardenWebContents` for every web contents the app will ever create. */
export function setupNavigationGuards(openExternal: OpenExternal): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, openExternal));
}

/** The app needs no camera, notifications, geolocation, USB, clipboard reads...: deny all. */
export function denyAllPermissions(target: Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.setDevicePermissionHandler(() => false);
}

/** Denies every permission in the default session and in any session created later. */
export function setupPermissionDenial(): void {
  denyAllPermissions(session.defaultSession);
  app.on('session-created', denyAllPermissions);
}
