import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Arch, type AfterPackContext } from 'electron-builder';
import { PACKAGED_BINDING } from '../native-binding.js';
import { applyFuses } from './fuses.js';

/** What the afterPack step needs to know about one packed (not yet signed) app. */
export interface PackedApp {
  /** `darwin`, `linux` or `win32`. */
  platform: string;
  arch: string;
  appOutDir: string;
  /** The app's resources folder (`Contents/Resources` on macOS). */
  resourcesDir: string;
  /** `Control Room` (the .app and .exe names). */
  productFilename: string;
  /** The Linux executable's name. */
  executableName: string;
}

/**
 * The file @electron/fuses edits: the `.app` bundle on macOS (it finds the framework
 * inside), the `.exe` on Windows, the executable on Linux.
 */
export function electronBinaryPath(app: PackedApp): string {
  if (app.platform === 'darwin') return path.join(app.appOutDir, `${app.productFilename}.app`);
  if (app.platform === 'win32') return path.join(app.appOutDir, `${app.productFilename}.exe`);
  return path.join(app.appOutDir, app.executableName);
}

/**
 * Refuses a packed app without the Electron-ABI better-sqlite3 in `resources/native`.
 * electron-builder only warns when an `extraResources` source is missing, and the app
 * would then install fine and fail on its first database open.
 */
export function assertNativeBinding(
  app: PackedApp,
  exists: (file: string) => boolean = isNonEmptyFile,
): void {
  const binding = path.join(app.resourcesDir, PACKAGED_BINDING);
  if (!exists(binding)) {
    throw new Error(
      `${binding} is missing: better-sqlite3 was not built for Electron (${app.platform}-${app.arch}). ` +
        'Build installers with npm run dist, which builds it first.',
    );
  }
}

/** The afterPack work, with its side effects injectable for tests. */
export async function finishPackedApp(
  app: PackedApp,
  deps: { exists?: (file: string) => boolean; flip?: typeof applyFuses } = {},
): Promise<void> {
  assertNativeBinding(app, deps.exists);
  // Before signing (electron-builder signs after afterPack): editing a signed binary
  // would invalidate its signature.
  await (deps.flip ?? applyFuses)(electronBinaryPath(app), { platform: app.platform, arch: app.arch });
}

/** electron-builder's afterPack hook (see electron-builder.config.ts). */
export async function afterPack(context: AfterPackContext): Promise<void> {
  const packager = context.packager;
  await finishPackedApp({
    platform: context.electronPlatformName,
    arch: Arch[context.arch],
    appOutDir: context.appOutDir,
    resourcesDir: packager.getResourcesDir(context.appOutDir),
    productFilename: packager.appInfo.productFilename,
    // Only the Linux packager has one; the other platforms never read it.
    executableName:
      (packager as { executableName?: string }).executableName ?? packager.appInfo.productFilename,
  });
}

function isNonEmptyFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile() && statSync(file).size > 0;
}
