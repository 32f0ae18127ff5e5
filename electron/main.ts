// Electron's entry point: lifecycle and registration only. Every behaviour lives in a
// small setupX() module; this file decides the order they run in.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, shell } from 'electron';
import { setupNavigationGuards, setupPermissionDenial } from './hardening.js';
import { setupEventForwarding, setupIpc, trustedSenderOf } from './ipc.js';
import { setupBadge } from './badge.js';
import { setupMenu } from './menu.js';
import { resolveNativeBinding } from './native-binding.js';
import { registerAppScheme, setupAppProtocol } from './protocol.js';
import { createShutdown, setupShutdown } from './shutdown.js';
import { openBackendOrExit } from './startup.js';
import { createMainWindowManager, setupWindowLifecycle } from './window.js';
import { WINDOW_STATE_FILE } from './window-state.js';

// Paths relative to this bundle (dist/electron/main.js), inside the asar when packaged.
const RENDERER_ROOT = fileURLToPath(new URL('../renderer/', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));

const openExternal = (url: string): Promise<void> => shell.openExternal(url);

// Before `ready`: privileged schemes can only be declared now, and the sandbox is
// enforced for every renderer, whatever a window's own preferences say.
registerAppScheme();
app.enableSandbox();

// `control-room start --data-dir DIR` and the Electron e2e suite pick another data
// folder. Set before the single-instance lock, which is held per data folder.
const dataDirOverride = process.env.CR_DATA_DIR;
if (dataDirOverride) app.setPath('userData', path.resolve(dataDirOverride));

if (app.requestSingleInstanceLock()) {
  setupNavigationGuards(openExternal);
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('[control-room] failed to start:', error);
      app.exit(1);
    });
} else {
  // Another instance owns the database; it is told (second-instance) and focuses itself.
  app.quit();
}

async function start(): Promise<void> {
  const isDev = !app.isPackaged;
  const dataDir = app.getPath('userData');
  const nativeBinding = resolveNativeBinding({
    env: process.env,
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    exists: existsSync,
  });
  const backend = await openBackendOrExit(dataDir, nativeBinding);
  if (backend === null) return;

  const windows = createMainWindowManager({
    preload: PRELOAD,
    stateFile: path.join(dataDir, WINDOW_STATE_FILE),
  });

  setupPermissionDenial();
  setupAppProtocol(RENDERER_ROOT);
  setupMenu({ platform: process.platform, isDev, openExternal });
  const disposeIpc = setupIpc(
    backend,
    trustedSenderOf(() => windows.contentsId()),
  );
  setupEventForwarding(backend.events, () => windows.contents());
  setupBadge(backend);
  setupShutdown(
    createShutdown([
      // Stop answering first, so no command reaches a closing database...
      { name: 'ipc', run: disposeIpc },
      // ...then flush the last event batch and close the ledger.
      { name: 'backend', run: () => backend.shutdown() },
    ]),
  );
  setupWindowLifecycle(windows);

  windows.open();
}
