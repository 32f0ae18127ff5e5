// Graceful shutdown: stop answering IPC, then shut the backend down (calls in flight
// are aborted and their billed usage recorded, the last event batch flushed, the
// database closed), exactly once whichever quit path fires first.
import { app } from 'electron';

/** One named step of the shutdown sequence. */
export interface ShutdownStep {
  name: string;
  run: () => void | Promise<void>;
}

/**
 * Returns a function that runs `steps` in order the first time it is called and does
 * nothing afterwards. A failing step is reported and the rest still run: a stuck event
 * sink must not keep the database open.
 */
export function createShutdown(
  steps: readonly ShutdownStep[],
  report: (message: string, error: unknown) => void = (message, error) => console.error(message, error),
): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= (async () => {
      for (const step of steps) {
        try {
          await step.run();
        } catch (error) {
          report(`[control-room] shutdown step "${step.name}" failed:`, error);
        }
      }
    })();
    return running;
  };
}

/**
 * Runs `shutdown` on `before-quit`, with `will-quit` as a second chance, and turns
 * SIGINT/SIGTERM (Ctrl+C on `electron .`, a service manager) into a normal quit so
 * they go through the same path instead of killing the process mid-write.
 */
export function setupShutdown(shutdown: () => Promise<void>): void {
  let finished = false;
  // Quitting waits for the shutdown (recording aborted calls takes a moment), then
  // quits for real; a second quit request meanwhile just waits for the same run.
  const hold = (event: Electron.Event): void => {
    if (finished) return;
    event.preventDefault();
    void shutdown().finally(() => {
      finished = true;
      app.quit();
    });
  };
  app.on('before-quit', hold);
  app.on('will-quit', hold);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => app.quit());
  }
}
