import path from 'node:path';

export interface NativeBindingContext {
  env: NodeJS.ProcessEnv;
  isPackaged: boolean;
  /** `process.resourcesPath` of the packaged app. */
  resourcesPath: string;
  exists: (filePath: string) => boolean;
}

/** Where the packaging scripts put the Electron-ABI better-sqlite3 build, under resources. */
export const PACKAGED_BINDING = path.join('native', 'better_sqlite3.node');

/**
 * Chooses the better-sqlite3 binary for Electron's ABI, or `undefined` for the
 * default lookup. In development `CR_SQLITE_BINDING` points at a local Electron build.
 * A packaged app ignores that variable and only loads the binary shipped in its own
 * resources: honouring it would let an environment variable load arbitrary native
 * code, the very hole the RunAsNode and NODE_OPTIONS fuses close.
 */
export function resolveNativeBinding(context: NativeBindingContext): string | undefined {
  if (context.isPackaged) {
    const shipped = path.join(context.resourcesPath, PACKAGED_BINDING);
    return context.exists(shipped) ? shipped : undefined;
  }
  const fromEnv = context.env.CR_SQLITE_BINDING?.trim();
  return fromEnv ? path.resolve(fromEnv) : undefined;
}
