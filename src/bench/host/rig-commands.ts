/** The env variable that carries the RigOptions, as JSON, through `openWorkerBackend`'s options. */
export const RIG_OPTIONS_ENV = 'CR_BENCH_RIG';

/** The commands the host bench's stand-in worker (rig-worker.ts) answers. */
export const RIG_START = 'bench:start';
export const RIG_STATS = 'bench:stats';

/** What both answer: the rig's totals so far. */
export interface RigStats {
  calls: number;
  batches: number;
}
