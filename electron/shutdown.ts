// Graceful shutdown: stop answering IPC, then close the backend (which flushes the last
// event batch and closes the database), exactly once whichever quit path fires first.
import { app } from 'electron';

/** One named step of the shutdown sequence. */
export interface ShutdownStep {
  name: string;
  run: () => void;
}

/**
 * Returns a function that runs `steps` in order the first time it is called and does
 * nothing afterwards. A failing step is reported and the rest still run: a stuck event
 * sink must not keep the database open.
 */
export function createShutdown(
  steps: readonly ShutdownStep[],
  report: (message: string, error: unknown) => void = (message, error) => console.error(message, error),
): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const step of steps) {
      try {
        step.run();
      } catch (error) {
        report(`[control-room] shutdown step "${step.name}" failed:`, error);
      }
    }
  };
}

/**
 * Runs `shutdown` on `before-quit`, with `will-quit` as a second chance, and turns
 * SIGINT/SIGTERM (Ctrl+C on `electron .`, a service manager) into a normal quit so
 * they go through the same path instead of killing the process mid-write.
 */
export function setupShutdown(shutdown: () => void): void {
  app.on('before-quit', shutdown);
  app.on('will-quit', shutdown);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => app.quit());
  }
}
