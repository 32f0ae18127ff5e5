export interface ThrottleTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Throttled {
  /** Asks for a run: at once when the last one was long enough ago, else once at the end of the wait. */
  (): void;
  /** Forgets a pending run (the page closed). */
  cancel(): void;
}

/**
 * Runs `fn` at most once per `ms`, first call at once (leading) and the calls that
 * arrive meanwhile folded into one run when the wait is over (trailing), so a burst of
 * events costs two refreshes and the last event is never lost.
 */
export function throttle(fn: () => void, ms: number, timers: ThrottleTimers = realTimers): Throttled {
  let last = -Infinity;
  let pending: unknown = null;
  const run = () => {
    pending = null;
    last = timers.now();
    fn();
  };
  const throttled = (() => {
    if (pending !== null) return;
    const wait = last + ms - timers.now();
    if (wait <= 0) run();
    else pending = timers.setTimeout(run, wait);
  }) as Throttled;
  throttled.cancel = () => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  };
  return throttled;
}
