/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time and timers, injected so the limiter can be driven deterministically in tests.
 * `now()` is in milliseconds on the same scale the UI shows (epoch ms for the system clock).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

// Node refuses delays above 2^31-1 ms (it fires them at once instead).
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real clock. It is monotonic (performance.now anchored at timeOrigin) so a wall-clock
 * correction cannot make a bucket refill backwards or a pause last for hours.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
