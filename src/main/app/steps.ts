/**
 * The composition root's one pattern (after electron/fiddle's `setupX()` list): every part
 * of the app is built by a `setupX()` step that answers what it built and how to close it,
 * and the steps are closed in the reverse of the order they were set up, so nothing is
 * closed while a part built after it still uses it.
 */
export interface Closing {
  /** Closes at once; work in flight is abandoned. */
  close(): void;
  /** The quit path: lets work in flight finish (bounded by `timeoutMs`), then closes. */
  shutdown?(timeoutMs: number): Promise<void>;
}

/** The steps set up so far, to close them in reverse. */
export class Steps {
  readonly #steps: Closing[] = [];

  /** Records a set-up step and hands it back, so each line of the list reads `const x = steps.add(setupX(…))`. */
  add<T extends Closing>(step: T): T {
    this.#steps.push(step);
    return step;
  }

  /** Closes every step, last first; one that throws does not keep the others open. */
  close(): void {
    const errors: unknown[] = [];
    for (const step of [...this.#steps].reverse()) {
      try {
        step.close();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#steps.length = 0;
    if (errors.length) throw errors[0];
  }

  /** Shuts every step down, last first, each after the one set up after it has finished. */
  async shutdown(timeoutMs: number): Promise<void> {
    const steps = [...this.#steps].reverse();
    this.#steps.length = 0;
    for (const step of steps) {
      if (step.shutdown) await step.shutdown(timeoutMs);
      else step.close();
    }
  }
}
