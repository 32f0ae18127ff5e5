import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ForwardingGateway } from '../calls/gateway-types.js';
import { openLedger, type Ledger } from '../ledger/database.js';
import { DEFAULT_FAKE_API_KEY, startFakeMessagesApi, type FakeMessagesApi } from '../llm/testing/fake-messages-api.js';
import { createEngineServices, type EngineServices } from './engine-services.js';

/**
 * The upstream: the gateway's calls (the built-in loop's) and its forwarded ones (Claude
 * Code's, which pass through the gateway) go to the base URL Settings resolves: the saved
 * URL, else ANTHROPIC_BASE_URL, else the public API. Each fake counts what reached it.
 */

let dir: string | undefined;
let ledger: Ledger | undefined;
let services: EngineServices | undefined;
const fakes: FakeMessagesApi[] = [];
afterEach(async () => {
  services?.close();
  ledger?.close();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  ledger = undefined;
  services = undefined;
});

async function fake(limits?: { requestsPerMinute: number }): Promise<FakeMessagesApi> {
  const f = await startFakeMessagesApi(limits ? { limits: { sonnet: limits } } : {});
  fakes.push(f);
  return f;
}

function start(env: NodeJS.ProcessEnv): EngineServices {
  dir = mkdtempSync(join(tmpdir(), 'cr-upstream-'));
  ledger = openLedger(join(dir, 'ledger.db'));
  services = createEngineServices({
    db: ledger.db,
    dataDir: dir,
    provider: 'anthropic',
    env: { ANTHROPIC_API_KEY: DEFAULT_FAKE_API_KEY, ...env },
  });
  return services;
}

const WHO = { missionId: null, teamId: null, agentId: null, role: 'coder', taskId: null } as const;
const ask = (s: EngineServices) =>
  s.gateway.call({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }, WHO);
/** What Claude Code's traffic takes: the raw path through the gateway (count_tokens: free, no row). */
const countTokens = (s: EngineServices) =>
  // The engine's services hand out the gateway as the engine sees it; Claude Code's server holds the same one.
  (s.gateway as unknown as ForwardingGateway).countTokens({
    path: '/v1/messages/count_tokens',
    headers: { 'anthropic-version': '2023-06-01' },
    body: new TextEncoder().encode(JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] })),
  });

describe('the upstream', () => {
  it('is ANTHROPIC_BASE_URL when nothing is saved, for the built-in loop and the forwarded path alike', async () => {
    const viaEnv = await fake();
    const s = start({ ANTHROPIC_BASE_URL: viaEnv.url });
    expect(s.settings.view().apiBaseUrl).toEqual({ saved: null, effective: viaEnv.url, source: 'env', problem: null });
    const reply = await ask(s);
    expect(reply.message.content).toEqual([{ type: 'text', text: 'Echo: hello' }]);
    await countTokens(s);
    expect(viaEnv.billing).toHaveLength(1);
    expect(viaEnv.stats.countTokens).toBe(1);
  });

  it('is the saved URL once saved, live, and its rate-limit headers still drive the limiter', async () => {
    const viaEnv = await fake();
    const saved = await fake({ requestsPerMinute: 77 });
    const s = start({ ANTHROPIC_BASE_URL: viaEnv.url });
    await ask(s);
    expect(s.limiter.getState().pools.sonnet.buckets.requests.limit).not.toBe(77);

    const view = s.settings.setApiBaseUrl(`${saved.url}/`);
    expect(view.apiBaseUrl).toEqual({ saved: `${saved.url}/`, effective: `${saved.url}/`, source: 'settings', problem: null });
    await ask(s);
    await countTokens(s);
    expect(viaEnv.billing).toHaveLength(1);
    expect(saved.billing).toHaveLength(1);
    expect(saved.stats.countTokens).toBe(1);
    // The account's limits are learned from whichever upstream answers.
    expect(s.limiter.getState().pools.sonnet.buckets.requests).toMatchObject({ limit: 77, limitSource: 'headers' });

    // Removing it falls back to the environment's, live too.
    expect(s.settings.setApiBaseUrl(null).apiBaseUrl.source).toBe('env');
    await ask(s);
    expect(viaEnv.billing).toHaveLength(2);
  });

  it('is the public API when neither is given', () => {
    const s = start({});
    expect(s.settings.view().apiBaseUrl).toEqual({ saved: null, effective: 'https://api.anthropic.com', source: 'default', problem: null });
  });

  it('refuses a URL that is not one, or carries a secret, without saving it or repeating the secret', async () => {
    const viaEnv = await fake();
    const s = start({ ANTHROPIC_BASE_URL: viaEnv.url });
    expect(() => s.settings.setApiBaseUrl('ftp://gw.corp')).toThrow(
      'apiBaseUrl: must be an http:// or https:// URL such as https://api.anthropic.com, not "ftp://gw.corp"',
    );
    let message = '';
    try {
      s.settings.setApiBaseUrl('https://me:hunter22@gw.corp');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^apiBaseUrl: must not carry a user or password/);
    expect(message).not.toContain('hunter22');
    expect(() => s.settings.setApiBaseUrl('https://gw.corp/?key=abc')).toThrow(/must not have a query/);
    expect(s.settings.view().apiBaseUrl.source).toBe('env');
    await ask(s);
    expect(viaEnv.billing).toHaveLength(1);
  });

  it('will not start the API on a refused ANTHROPIC_BASE_URL, and says why without the secret', () => {
    expect(() => start({ ANTHROPIC_BASE_URL: 'http://me:hunter22@127.0.0.1:9' })).toThrow(
      /^ANTHROPIC_BASE_URL must not carry a user or password/,
    );
    try {
      start({ ANTHROPIC_BASE_URL: 'http://me:hunter22@127.0.0.1:9' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter22');
    }
  });
});
