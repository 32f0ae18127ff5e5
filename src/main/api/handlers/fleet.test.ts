import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../../shared/contract.js';
import type { FleetStatusView } from '../../../shared/contract/fleet.js';
import type { SettingsView } from '../../../shared/contract/settings.js';
import type { Result } from '../../../shared/result.js';
import { openBackend, type Backend } from '../../app/backend.js';
import type { FleetStatus } from '../../fleet/index.js';
import { findRedisServer, startRedis, type TestRedis } from '../../fleet/testing/fleet-fixture.js';
import { dispatch, type Handlers } from '../dispatch.js';
import { fleetHandlers, type FleetStatusSource } from './fleet.js';

const STATUS: FleetStatus = {
  workers: [
    {
      id: 'w-1',
      host: 'build-01',
      pid: 4242,
      concurrency: 4,
      active: 3,
      processed: 17,
      startedAt: 1_700_000_000_000,
      draining: false,
    },
    {
      id: 'w-2',
      host: 'build-02',
      pid: 99,
      concurrency: 2,
      active: 0,
      processed: 5,
      startedAt: 1_700_000_100_000,
      draining: true,
    },
  ],
  queue: { waiting: 6, active: 3, delayed: 1 },
  waitMs: { p50: 120, p95: 900, samples: 40 },
  deadLetters: 2,
  completed: 22,
};

/** A stand-in for `Fleet`: the handler only asks for its URL and its status. */
function fakeFleet(redisUrl: string, status: FleetStatusSource['status']): FleetStatusSource {
  return { redisUrl, status };
}

async function ask(source: FleetStatusSource | null, timeoutMs?: number): Promise<Result<FleetStatusView>> {
  const handlers = fleetHandlers(source, timeoutMs) as unknown as Handlers;
  return (await dispatch(handlers, 'fleet:get-status', {})) as Result<FleetStatusView>;
}

describe('fleet handlers', () => {
  it('answers { enabled: false } without a fleet', async () => {
    expect(await ask(null)).toEqual({ ok: true, data: { enabled: false } });
  });

  it('answers the workers, queue, waits and dead letters of a connected fleet, the password masked', async () => {
    const fleet = fakeFleet('redis://ops:hunter22@redis.internal:6379/2', () =>
      Promise.resolve({ connected: true as const, ...STATUS }),
    );
    expect(await ask(fleet)).toEqual({
      ok: true,
      data: {
        enabled: true,
        redisUrl: 'redis://ops:***@redis.internal:6379/2',
        connected: true,
        error: null,
        ...STATUS,
      },
    });
  });

  it('passes on only the contract fields of a heartbeat', async () => {
    const extra = { ...STATUS.workers[0]!, token: 'do-not-forward' };
    const fleet = fakeFleet('redis://127.0.0.1:6379', () =>
      Promise.resolve({ connected: true as const, ...STATUS, workers: [extra] }),
    );
    const result = await ask(fleet);
    expect(JSON.stringify(result)).not.toContain('do-not-forward');
  });

  it('says why Redis cannot be reached, without its password', async () => {
    const url = 'rediss://:s3cret-pass@10.0.0.9:6380';
    const fleet = fakeFleet(url, () =>
      Promise.resolve({
        connected: false as const,
        error: `cannot reach Redis at ${url}: connect ECONNREFUSED 10.0.0.9:6380 (auth s3cret-pass)`,
      }),
    );
    const result = await ask(fleet);
    expect(result).toMatchObject({
      ok: true,
      data: {
        enabled: true,
        connected: false,
        redisUrl: 'rediss://:***@10.0.0.9:6380',
        workers: [],
        queue: { waiting: 0, active: 0, delayed: 0 },
        waitMs: { p50: null, p95: null, samples: 0 },
        deadLetters: 0,
      },
    });
    const data = (result as { data: FleetStatusView & { enabled: true } }).data;
    expect(data.error).toContain('ECONNREFUSED 10.0.0.9:6380');
    expect(JSON.stringify(result)).not.toContain('s3cret-pass');
  });

  it('answers disconnected when the status throws or Redis does not answer in time', async () => {
    const throwing = fakeFleet('redis://127.0.0.1:6379', () =>
      Promise.reject(new Error('Connection is closed.')),
    );
    expect(await ask(throwing)).toMatchObject({
      ok: true,
      data: { connected: false, error: 'Connection is closed.' },
    });

    const hanging = fakeFleet('redis://127.0.0.1:6379', () => new Promise(() => undefined));
    const started = Date.now();
    expect(await ask(hanging, 50)).toMatchObject({
      ok: true,
      data: { enabled: true, connected: false, error: 'no answer from redis://127.0.0.1:6379 within 0.05 s' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('is declared in the contract and refuses extra fields', async () => {
    expect(Object.hasOwn(commands, 'fleet:get-status')).toBe(true);
    expect(
      await dispatch(fleetHandlers(null) as unknown as Handlers, 'fleet:get-status', { poll: true }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });
});

describe('fleet in the backend', () => {
  let root: string;
  let backend: Backend | undefined;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cr-fleet-handlers-'));
  });
  afterEach(async () => {
    await backend?.shutdown(1_000);
    backend = undefined;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const open = (
    name: string,
    extra: Partial<Parameters<typeof openBackend>[0]> = {},
    logged: string[] = [],
  ): Backend =>
    openBackend({
      dataDir: join(root, name),
      runtime: 'browser',
      flushIntervalMs: 5,
      env: {},
      logError: (what, error) => logged.push(`${what}: ${(error as Error).message}`),
      ...extra,
    });
  const status = async (b: Backend) => (await b.invoke('fleet:get-status', {})) as Result<FleetStatusView>;

  it('is off by default: turns run in this process', async () => {
    backend = open('off');
    expect(await status(backend)).toEqual({ ok: true, data: { enabled: false } });
    const settings = (await backend.invoke('settings:get', {})) as Result<SettingsView>;
    expect(settings).toMatchObject({
      ok: true,
      data: { fleet: { redisUrl: null, activeRedisUrl: null, activeSource: null } },
    });
  });

  it('opens at once with a Redis that does not answer, and says why (password masked)', async () => {
    const logged: string[] = [];
    const started = Date.now();
    backend = open('unreachable', { fleetRedisUrl: 'redis://:pa55word@127.0.0.1:1' }, logged);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Everything else answers while the fleet cannot connect.
    expect(await backend.invoke('teams:list', {})).toMatchObject({ ok: true });
    const settings = (await backend.invoke('settings:get', {})) as Result<SettingsView>;
    expect(settings).toMatchObject({
      ok: true,
      data: { fleet: { activeRedisUrl: 'redis://:***@127.0.0.1:1', activeSource: 'flag' } },
    });
    const result = await status(backend);
    expect(result).toMatchObject({
      ok: true,
      data: { enabled: true, connected: false, redisUrl: 'redis://:***@127.0.0.1:1' },
    });
    const data = (result as { data: { error: string } }).data;
    expect(data.error).toMatch(/cannot reach Redis|no answer from/);
    expect(JSON.stringify(result)).not.toContain('pa55word');
    expect(logged.join('\n')).not.toContain('pa55word');
    // And it still shuts down, within its bound.
    const stopping = Date.now();
    await backend.shutdown(500);
    backend = undefined;
    expect(Date.now() - stopping).toBeLessThan(5_000);
  });

  it('refuses a flag that is not a Redis URL before opening anything', () => {
    expect(() => open('bad-flag', { fleetRedisUrl: 'http://127.0.0.1:6379' })).toThrow(/redis:\/\/host:port/);
  });

  const redisBinary = findRedisServer();
  let redis: TestRedis | undefined;
  (redisBinary ? describe : describe.skip)('with a real Redis', () => {
    beforeAll(async () => {
      redis = await startRedis(redisBinary!);
    }, 30_000);
    afterAll(async () => {
      await redis?.stop();
    });

    it('answers connected with an empty queue and no workers', async () => {
      backend = open('real', { fleetRedisUrl: redis!.url });
      await expect
        .poll(async () => ((await status(backend!)) as { data: { connected?: boolean } }).data.connected, {
          timeout: 10_000,
        })
        .toBe(true);
      expect(await status(backend)).toEqual({
        ok: true,
        data: {
          enabled: true,
          redisUrl: redis!.url,
          connected: true,
          error: null,
          workers: [],
          queue: { waiting: 0, active: 0, delayed: 0 },
          waitMs: { p50: null, p95: null, samples: 0 },
          deadLetters: expect.any(Number) as number,
          completed: 0,
        },
      });
    });

    it('uses the saved URL at the next start, and the flag (or CR_REDIS_URL) over it', async () => {
      const db = (n: number) => `${redis!.server}/${n}`;
      backend = open('precedence');
      const saved = (await backend.invoke('settings:set-fleet-redis-url', {
        redisUrl: db(1),
      })) as Result<SettingsView>;
      // Saved, not in use: it applies at the next start.
      expect(saved).toMatchObject({
        ok: true,
        data: { fleet: { redisUrl: db(1), activeRedisUrl: null, activeSource: null } },
      });
      expect(await status(backend)).toEqual({ ok: true, data: { enabled: false } });
      await backend.shutdown(1_000);

      for (const [extra, expected, source] of [
        [{}, db(1), 'settings'],
        [{ fleetRedisUrl: db(2) }, db(2), 'flag'],
        [{ env: { CR_REDIS_URL: db(3) } }, db(3), 'flag'],
        [{ fleetRedisUrl: db(2), env: { CR_REDIS_URL: db(3) } }, db(2), 'flag'],
      ] as const) {
        backend = open('precedence', extra);
        expect(await status(backend)).toMatchObject({
          ok: true,
          data: { enabled: true, redisUrl: expected },
        });
        expect(await backend.invoke('settings:get', {})).toMatchObject({
          ok: true,
          data: { fleet: { redisUrl: db(1), activeRedisUrl: expected, activeSource: source } },
        });
        await backend.shutdown(1_000);
        backend = undefined;
      }
    });
  });
});
