// Vitest's global setup: the backend worker is built once per run, from the sources
// under test, so tests that open a worker backend never depend on a stale `dist/`.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BACKEND_WORKER_ENTRY, bundleWorker } from './bundle-worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** file: URL of the bundled backend worker; read with `inject('backendWorkerUrl')`. */
    backendWorkerUrl: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  const root = project.config.root;
  const url = await bundleWorker(
    root,
    BACKEND_WORKER_ENTRY,
    join(root, 'node_modules/.cache/control-room-tests'),
  );
  project.provide('backendWorkerUrl', url.href);
}
