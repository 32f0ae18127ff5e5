/**
 * The simulated provider, timed from outside: each call's send start and end, and the
 * latency the simulation planned for it (the sum of the sleeps it asked for). Calls are
 * told apart by their abort signal, which the agent creates per call and the gateway
 * passes through untouched, so nothing is added to the path being measured.
 */
import { performance } from 'node:perf_hooks';
import type { MessagesRequest, ModelProvider, ProviderResult, SendOptions } from '../../main/llm/provider.js';
import { realSleep, SimulatedProvider } from '../../main/llm/simulated-provider.js';

/** What the provider did for one call; filled in as the call runs. */
export interface ProviderTiming {
  sendStart: number;
  sendEnd: number;
  /** Sum of the sleeps the simulation planned (its "network and model" time), ms. */
  plannedMs: number;
}

export const newTiming = (): ProviderTiming => ({ sendStart: NaN, sendEnd: NaN, plannedMs: 0 });

export class TimedProvider implements ModelProvider {
  readonly #inner: SimulatedProvider;
  readonly #timings = new WeakMap<AbortSignal, ProviderTiming>();
  readonly #yieldEachCall: boolean;

  constructor(options: { seed: number; latencyScale: number }) {
    this.#yieldEachCall = options.latencyScale <= 0;
    this.#inner = new SimulatedProvider({
      seed: options.seed,
      latencyScale: options.latencyScale,
      sleep: (ms, signal) => {
        const timing = signal ? this.#timings.get(signal) : undefined;
        if (timing) timing.plannedMs += ms;
        return realSleep(ms, signal);
      },
    });
  }

  /** Ties `timing` to the calls made with `signal` (one call per signal). */
  track(signal: AbortSignal, timing: ProviderTiming): void {
    this.#timings.set(signal, timing);
  }

  async send(request: MessagesRequest, options: SendOptions = {}): Promise<ProviderResult> {
    const timing = options.signal ? this.#timings.get(options.signal) : undefined;
    if (timing) timing.sendStart = performance.now();
    try {
      const result = await this.#inner.send(request, options);
      // At latency 0 the simulation answers in microtasks only; agents whose tools are
      // canned would then never let the event loop reach timers or I/O. A real response,
      // however fast, arrives as I/O in a later turn of the loop: so does this one.
      if (this.#yieldEachCall) await new Promise<void>((resolve) => setImmediate(resolve));
      return result;
    } finally {
      if (timing) timing.sendEnd = performance.now();
    }
  }
}
