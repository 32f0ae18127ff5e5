/**
 * The process a crash test kills: the real call pipeline (`setupCalls`: the gateway, the
 * limiter, budgets, the calls ledger with group commit, the Anthropic provider on the
 * real SDK) against the upstream in ANTHROPIC_BASE_URL (the loopback fake), streaming
 * calls on both paths (the built-in loop's `call`, Claude Code's `forward`) until it is
 * killed. Usage: node crash-billing-child.mjs LEDGER CONCURRENCY. Prints one JSON line
 * once it is ready: what its start settled from the last crash.
 */
import { dirname } from 'node:path';
import { LIMIT_PRESETS } from '../../../shared/limits.js';
import type { ForwardSink } from '../../calls/gateway-types.js';
import { openLedger } from '../../ledger/database.js';
import { SettingsRepository } from '../../ledger/settings-repository.js';
import { MemorySecretStore, SettingsService } from '../../settings/index.js';
import { SETTINGS } from '../../settings/setting-keys.js';
import { setupCalls } from '../setup-calls.js';

const [dbPath, concurrencyText] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: crash-billing-child LEDGER CONCURRENCY');
const concurrency = Number(concurrencyText ?? 4);
const ledger = openLedger(dbPath, { groupCommit: true, checkpoints: 'background' });
// Roomy limits: the test is about billing, not about waiting in the limiter.
new SettingsRepository(ledger.db).set(SETTINGS.poolLimits.key, SETTINGS.poolLimits.spec, LIMIT_PRESETS.at(-1)!.pools);
const settings = new SettingsService({ db: ledger.db, env: process.env, dataDir: dirname(dbPath), secrets: new MemorySecretStore() });
const calls = setupCalls({ db: ledger.db, provider: 'anthropic' }, settings);
process.stdout.write(`${JSON.stringify({ ready: true, settled: calls.settled })}\n`);

const MODEL = 'claude-sonnet-4-6';
const sink: ForwardSink = { head: () => undefined, write: () => undefined, end: () => undefined };
let next = 0;

async function worker(index: number): Promise<void> {
  for (;;) {
    const n = next++;
    // Prompts of different sizes, so each response's usage is its own.
    const content = `call ${n} ${'x'.repeat((n % 9) * 40)}`;
    const who = { missionId: 'm-crash', teamId: 't1', agentId: `a${index}`, role: 'coder', taskId: null } as const;
    try {
      if (index % 2 === 0) {
        await calls.gateway.call({ model: MODEL, max_tokens: 256, messages: [{ role: 'user', content }] }, who);
      } else {
        const body = { model: MODEL, max_tokens: 256, stream: true, messages: [{ role: 'user', content }] };
        await calls.gateway.forward(
          {
            request: { path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: new TextEncoder().encode(JSON.stringify(body)) },
            model: MODEL,
            maxTokens: 256,
            stream: true,
            estimatedInputTokens: 200,
          },
          who,
          sink,
        );
      }
    } catch {
      // A refused or failed call has its own row; the next one starts.
    }
  }
}

for (let i = 0; i < concurrency; i++) void worker(i);
