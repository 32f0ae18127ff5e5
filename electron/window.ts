// The one main window: created with the security baseline, placed where it was last
// time (fitted to today's displays), and re-created on macOS `activate`.
import { app, BrowserWindow, screen, type WebContents } from 'electron';
import { APP_ENTRY_URL, windowWebPreferences } from './security.js';
import {
  MIN_WINDOW_SIZE,
  fitToDisplays,
  readWindowState,
  writeWindowState,
  type Rect,
} from './window-state.js';

export interface MainWindowOptions {
  /** Absolute path of the bundled preload (`dist/electron/preload.cjs`). */
  preload: string;
  /** Where the window's bounds are remembered. */
  stateFile: string;
}

/** Owns the main window so the rest of main never holds a stale reference. */
export interface MainWindowManager {
  /** The live window, creating it if there is none. */
  open(): BrowserWindow;
  /** Brings the window to the front (second launch, dock click), creating it if needed. */
  reveal(): void;
  /** The web contents id IPC trusts, or `undefined` when no window is open. */
  contentsId(): number | undefined;
  /** The live web contents that receive event batches. */
  contents(): WebContents[];
}

function workAreasPrimaryFirst(): Rect[] {
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((display) => display.id !== primary.id);
  return [primary, ...others].map((display) => display.workArea);
}

/** Creates the manager; no window exists until `open()` is called (after `ready`). */
export function createMainWindowManager(options: MainWindowOptions): MainWindowManager {
  let current: BrowserWindow | null = null;

  const live = (): BrowserWindow | null => (current !== null && !current.isDestroyed() ? current : null);

  const saveState = (win: BrowserWindow): void => {
    try {
      writeWindowState(options.stateFile, { ...win.getNormalBounds(), isMaximized: win.isMaximized() });
    } catch (error) {
      // Losing the window position is not worth failing a quit over.
      console.error('[control-room] could not save the window state:', error);
    }
  };

  const open = (): BrowserWindow => {
    const existing = live();
    if (existing) return existing;
    const placement = fitToDisplays(readWindowState(options.stateFile), workAreasPrimaryFirst());
    const win = new BrowserWindow({
      ...(placement.x !== undefined && placement.y !== undefined ? { x: placement.x, y: placement.y } : {}),
      width: placement.width,
      height: placement.height,
      minWidth: MIN_WINDOW_SIZE.width,
      minHeight: MIN_WINDOW_SIZE.height,
      title: app.getName(),
      // Shown once painted, so the user never sees an empty white frame.
      show: false,
      webPreferences: windowWebPreferences(options.preload),
    });
    current = win;
    win.once('ready-to-show', () => {
      if (placement.isMaximized) win.maximize();
      win.show();
    });
    win.on('close', () => saveState(win));
    win.on('closed', () => {
      if (current === win) current = null;
    });
    win.loadURL(APP_ENTRY_URL).catch((error: unknown) => {
      console.error('[control-room] could not load the renderer:', error);
      // Show the (blank) window anyway: an invisible running app is worse.
      if (!win.isDestroyed() && !win.isVisible()) win.show();
    });
    return win;
  };

  return {
    open,
    reveal() {
      const win = open();
      if (win.isMinimized()) win.restore();
      if (win.isVisible()) win.focus();
    },
    contentsId: () => live()?.webContents.id,
    contents: () => {
      const win = live();
      return win ? [win.webContents] : [];
    },
  };
}

/**
 * The window's part of the app lifecycle: a second launch focuses the existing window
 * (the single-instance lock sends it here), macOS re-creates it from the dock, and
 * elsewhere closing the last window quits.
 */
export function setupWindowLifecycle(windows: MainWindowManager): void {
  app.on('second-instance', () => windows.reveal());
  app.on('activate', () => windows.open());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
