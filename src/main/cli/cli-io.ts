import type { ElectronBinary } from './electron-binary.js';

/** Somewhere to write text: `process.stdout`, or a collector in tests. */
export interface TextOutput {
  write(text: string): unknown;
}

/**
 * Everything a command may touch outside its arguments, passed in so the whole CLI runs
 * in-process under test exactly as it does from the bundle.
 */
export interface CliIo {
  stdout: TextOutput;
  stderr: TextOutput;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands shut down cleanly and resolve. */
  signal?: AbortSignal;
  /** The built renderer; defaults to `dist/renderer` next to the bundle. */
  staticDir?: string | URL;
  /** The built backend worker (`serve`); defaults to `backend-worker.cjs` next to the bundle. */
  backendWorker?: string | URL;
  /** The built Electron main script; defaults to `dist/electron/main.js` next to the bundle. */
  electronMain?: string | URL;
  /** Finds the Electron binary; replaced by tests so they never launch a real one. */
  findElectron?: () => ElectronBinary | undefined;
}
