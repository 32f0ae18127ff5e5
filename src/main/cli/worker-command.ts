import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FleetWorker } from '../fleet/fleet-worker.js';
import { stringOption, UsageError, type OptionSpecs, type ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';
import { REDIS_URL_EXAMPLE, redisUrlProblem } from '../../shared/validation.js';

export const WORKER_OPTIONS = {
  redis: { type: 'string', valueName: 'URL', description: 'The Redis the control room queues turns on (redis://host:port)' },
  concurrency: { type: 'string', valueName: 'N', description: 'Turns this worker runs at once (default 4)' },
  'workspace-root': {
    type: 'string',
    valueName: 'DIR',
    description: 'Where repositories are cloned (default ~/.control-room/worker)',
  },
} as const satisfies OptionSpecs;

/** The rule Settings and `serve` apply (`redisUrlProblem`); anything else is a usage mistake worth one clear line. */
export function parseRedisUrl(value: string | undefined, flag = '--redis'): string {
  if (value === undefined) throw new UsageError(`${flag} URL is required (e.g. ${REDIS_URL_EXAMPLE})`);
  const problem = redisUrlProblem(value);
  if (problem) throw new UsageError(`invalid ${flag} '${value}': ${problem}`);
  return value;
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1_000) throw new UsageError(`invalid --concurrency '${value}': expected 1 to 1000`);
  return n;
}

/**
 * `control-room worker`: runs agent turns from the control room's queue until SIGINT or
 * SIGTERM, then drains (finishes the turns it holds, takes no new ones) and exits 0.
 * Prints one line when it is ready and one per turn on stderr.
 */
export async function workerCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const redisUrl = parseRedisUrl(stringOption(args, 'redis'));
  const concurrency = parseConcurrency(stringOption(args, 'concurrency'));
  const root = resolve(stringOption(args, 'workspace-root') ?? join(io.env.HOME ?? homedir(), '.control-room', 'worker'));
  const lockMs = Number(io.env.CONTROL_ROOM_FLEET_LOCK_MS);
  let worker: FleetWorker;
  try {
    worker = await FleetWorker.start({
      redisUrl,
      concurrency,
      workspaceRoot: root,
      ...(Number.isInteger(lockMs) && lockMs > 0 ? { lockDurationMs: lockMs } : {}),
      logError: (what, error) => io.stderr.write(`[control-room worker] ${what} failed: ${(error as Error)?.message ?? String(error)}\n`),
      onStart: (job) => io.stderr.write(`taking a turn of ${job.agentName}\n`),
      onTurn: (job, result) =>
        io.stderr.write(
          result instanceof Error
            ? `turn of ${job.agentName} failed: ${result.message}\n`
            : `turn of ${job.agentName}: ${result.results.filter((r) => r.ran).length} tool call(s), waited ${result.waitMs} ms\n`,
        ),
    });
  } catch (error) {
    io.stderr.write(`control-room worker: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`Control Room worker ${worker.id}: ${concurrency} at once, workspaces in ${root}\n`);
  await new Promise<void>((resolveStop) => {
    if (io.signal?.aborted) resolveStop();
    io.signal?.addEventListener('abort', () => resolveStop(), { once: true });
  });
  io.stderr.write('Draining: finishing the turns in hand…\n');
  await worker.close();
  io.stderr.write('Stopped.\n');
  return 0;
}
