/**
 * `npm run bench:limiter`: many agents against the loopback fake Messages API, with limits
 * set so that the output-token limit, not latency, binds. Prints, side by side, our
 * production path (gateway + RateLimiter) and two set-ups a user might pick instead: a
 * plain concurrency cap and an RPM-spaced queue, both with the SDK's default retries.
 * Target: >= 95 % of the binding limit with <= 1 % of HTTP responses a 429.
 *
 * Options: --seconds N (per scenario, default 25), --warmup N (default 8), --agents N
 * (default 200), --concurrency N (baseline A, default 32), --seed N, --only id,id
 * (ours, ours-ramp, cap, rpm). A benchmark prints figures; it is not a test.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  concurrencyCapContender,
  gatewayContender,
  rpmSpacingContender,
  type Contender,
} from './contenders.js';
import { installFetchTracing } from './measure.js';
import { formatTable, ratioRows, resultRows } from './report.js';
import { runScenario, type ScenarioOptions, type ScenarioResult } from './run-scenario.js';
import { MEAN_INPUT_TOKENS, MEAN_OUTPUT_TOKENS, type BenchLimits } from './workload.js';

interface BenchArgs {
  seconds: number;
  warmup: number;
  agents: number;
  concurrency: number;
  seed: number;
  only: string[] | undefined;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { seconds: 25, warmup: 8, agents: 200, concurrency: 32, seed: 42, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--seconds':
      case '--warmup':
      case '--agents':
      case '--concurrency':
      case '--seed': {
        const n = Number(value);
        if (!(Number.isFinite(n) && n > 0))
          throw new Error(`${flag} needs a positive number, got "${value}"`);
        args[flag.slice(2) as 'seconds' | 'warmup' | 'agents' | 'concurrency' | 'seed'] = n;
        break;
      }
      case '--only':
        args.only = value.split(',').filter(Boolean);
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (args.warmup >= args.seconds) throw new Error('--warmup must be shorter than --seconds');
  return args;
}

// Per minute, the same on the fake and in every client-side limiter. The ratios follow a
// real tier (100 output and 500 input tokens per request allowed), so with agent-sized
// calls the output limit binds at well under the request limit.
const LIMITS: BenchLimits = { rpm: 9_600, itpm: 6_000_000, otpm: 960_000 };

async function runLimiterBench(args: BenchArgs): Promise<ScenarioResult[]> {
  installFetchTracing();
  const options: ScenarioOptions = {
    limits: LIMITS,
    workload: { seed: args.seed, agents: args.agents, thinkMs: { min: 2_000, max: 6_000 }, maxTokens: 4_096 },
    durationMs: args.seconds * 1_000,
    warmupMs: args.warmup * 1_000,
    seed: args.seed,
    firstTokenLatencyMs: 150,
    eventDelayMs: 24,
    chunkChars: 64,
  };
  const contenders: Contender[] = [
    gatewayContender({ id: 'ours', label: 'ours (steady)', rampStartFraction: 1, drained: true }),
    concurrencyCapContender(args.concurrency),
    rpmSpacingContender(),
    gatewayContender({ id: 'ours-ramp', label: 'ours (cold, default ramp)', drained: false }),
  ].filter((c) => !args.only || args.only.includes(c.id));

  const callsPerMinute = LIMITS.otpm / MEAN_OUTPUT_TOKENS;
  console.log('Limiter benchmark: loopback fake Messages API (127.0.0.1), production gateway vs baselines');
  console.log(
    `  limits (haiku pool, fake and clients alike): ${LIMITS.rpm} RPM, ${LIMITS.itpm} ITPM, ${LIMITS.otpm} OTPM; ` +
      `server buckets refill continuously, capacity one minute`,
  );
  console.log(
    `  workload: ${args.agents} agents, think 2-6 s between calls, input 1k-5k tokens (mean ${MEAN_INPUT_TOKENS}), ` +
      `output 100-3k (mean ${MEAN_OUTPUT_TOKENS}), max_tokens 4096, seed ${args.seed}`,
  );
  console.log(
    `  at the OTPM limit: ${callsPerMinute.toFixed(0)} calls/min = ${((callsPerMinute / LIMITS.rpm) * 100).toFixed(0)} % of RPM, ` +
      `${((callsPerMinute * MEAN_INPUT_TOKENS * 100) / LIMITS.itpm).toFixed(0)} % of ITPM: output tokens bind`,
  );
  console.log(
    `  service time: ${options.firstTokenLatencyMs} ms to first token + ${options.eventDelayMs} ms per streamed chunk ` +
      `(~${(options.firstTokenLatencyMs + (MEAN_OUTPUT_TOKENS / 2 / options.chunkChars) * options.eventDelayMs).toFixed(0)} ms mean)`,
  );
  console.log(
    `  each scenario: ${args.seconds} s on a fresh fake, first ${args.warmup} s warm-up, measured window after it`,
  );
  console.log(
    `  machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at start`,
  );

  console.log('  contenders:');
  console.log(
    '    ours: gateway -> RateLimiter (limits as above) -> AnthropicProvider (SDK retries off) + ledger rows',
  );
  console.log(
    `    A: p-queue { concurrency: ${args.concurrency} } around the bare SDK, maxRetries 2 (default; it honours retry-after)`,
  );
  console.log(
    `    B: bottleneck { minTime: 60000/${LIMITS.rpm} ms, no concurrency cap } around the bare SDK, maxRetries 2`,
  );
  console.log('    all stream their calls; a call the SDK gives up on is issued again by its agent\n');

  // A short throwaway pass first, so that the first measured scenario does not pay for
  // loading and JIT-compiling the SDK, undici, the ledger and the fake.
  process.stdout.write('  warming up the code paths (not measured) ... ');
  await runScenario(gatewayContender({ id: 'jit', label: 'jit', rampStartFraction: 1, drained: true }), {
    ...options,
    workload: { ...options.workload, agents: 20 },
    durationMs: 3_000,
    warmupMs: 1_000,
  });
  console.log('done');

  const results: ScenarioResult[] = [];
  for (const contender of contenders) {
    const t = performance.now();
    process.stdout.write(`  running ${contender.label} ... `);
    const result = await runScenario(contender, options);
    results.push(result);
    console.log(`done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return results;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const results = await runLimiterBench(args);

  console.log('');
  console.log(formatTable(['', ...results.map((r) => r.contender.label)], resultRows(results)));

  const ours = results.find((r) => r.contender.id === 'ours');
  const baselines = results.filter((r) => r.contender.id === 'cap' || r.contender.id === 'rpm');
  if (ours && baselines.length > 0) {
    console.log('');
    for (const row of ratioRows(ours, baselines)) console.log(`  ${row.join('  |  ')}`);
  }

  console.log('\nDefinitions:');
  console.log(
    '  throughput: tokens the fake billed in the measured window per minute, / the limit (its billing log,',
  );
  console.log(
    '    sampled every 100 ms). OTPM binds by construction; the other two show the headroom. The fake',
  );
  console.log(
    '    refills continuously and lets output go into debt, so billed = refill + (bucket level at window',
  );
  console.log(
    '    start - at end): the bucket row shows how much of a figure above or below 100 % is stock drawn',
  );
  console.log(
    '    down or left unused. "least-squares" is the slope of billed tokens over the window\'s samples.',
  );
  console.log(
    '  "steady": the run starts with one call billing a whole minute of output through the contender\'s own',
  );
  console.log(
    '    path, so neither the server nor our limiter hands out the one-minute burst a cold start would;',
  );
  console.log('    the limiter starts at its full rate (rampStartFraction 1).');
  console.log(
    '  "cold, default ramp": fresh server (its buckets full: a minute of burst) and a fresh limiter with the',
  );
  console.log(
    '    production defaults (rate 0.5 of the limits, full after 120 s; burst capacity = rate x 60 s). Its',
  );
  console.log(
    '    figures include that burst, so they exceed 100 %; the ramp only binds once the burst is spent,',
  );
  console.log('    which takes longer than this run.');
  console.log(
    '  wait: from the agent issuing a call to the start of the HTTP attempt that got a 200: time queued in',
  );
  console.log(
    '    the limiter or queue, 429 round trips, retry sleeps and re-issues after the client gave up. Over',
  );
  console.log('    the calls whose successful attempt started in the measured window.');
  console.log(
    "  429 share: the fake's own count of 429 responses / all its responses (whole run incl. warm-up).",
  );

  console.log(
    `\nOutput billed per ${results[0]?.outputByBin.binMs ?? 0} ms from the start (after any drain), % of OTPM:`,
  );
  for (const r of results) {
    console.log(
      `  ${r.contender.label.padEnd(34)} ${r.outputByBin.fractions
        .map((f) =>
          Math.round(f * 100)
            .toString()
            .padStart(4),
        )
        .join('')}`,
    );
  }
  for (const r of results) {
    if (r.diagnostics) console.log(`  ${r.contender.label}: ${r.diagnostics}`);
    for (const [error, count] of r.errors) console.log(`  ${r.contender.label}: ${count} x ${error}`);
  }

  const load = loadavg()[0] ?? 0;
  if (load > availableParallelism()) {
    console.log(
      `\n  NOTE: load average ${load.toFixed(1)} on ${availableParallelism()} cores: other processes competed for the CPU,` +
        ' so service times and waits are inflated; rerun on a quiet machine for timings.',
    );
  }
  if (ours) {
    const share = ours.http.total > 0 ? ours.http.rateLimited / ours.http.total : 0;
    const met = ours.endpointOutputFraction >= 0.95 && share <= 0.01;
    console.log(
      `\nTarget (>= 95 % of the binding limit, <= 1 % 429s): ${met ? 'MET' : 'NOT MET'} by ours (steady): ` +
        `${(ours.endpointOutputFraction * 100).toFixed(1)} % of OTPM billed in the window ` +
        `(least-squares ${(ours.fraction.output * 100).toFixed(1)} %), ${(share * 100).toFixed(2)} % 429s.`,
    );
  }
}

await main();
