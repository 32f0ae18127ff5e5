import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { designAgent } from '../engine-api.js';
import { test, expect } from '../fixtures.js';
import { CostsPage } from '../pages/costs-page.js';

const NANO = 1_000_000_000;

/** A git repository with one commit on main, for a mission to work on. */
function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'E2E Person');
  git('config', 'user.email', 'e2e@example.com');
  writeFileSync(join(repo, 'README.md'), '# shop\n');
  writeFileSync(
    join(repo, 'package.json'),
    JSON.stringify({ name: 'shop', type: 'module', private: true }, null, 2) + '\n',
  );
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

/**
 * Invokes a command from inside the page over the engine's WebSocket, the same API and
 * auth (the page's cookie) the UI uses. Setup only: the assertions go through the UI.
 */
async function invoke<T>(page: Page, channel: string, request: unknown): Promise<T> {
  const result = await page.evaluate(
    ([ch, req]) =>
      new Promise<{ ok: boolean; data?: unknown; error?: { message: string } }>((resolve, reject) => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
        ws.onopen = () => ws.send(JSON.stringify({ kind: 'invoke', id: 1, channel: ch, request: req }));
        ws.onmessage = (message) => {
          const frame = JSON.parse(String(message.data)) as {
            kind: string;
            id?: number;
            result: { ok: boolean; data?: unknown; error?: { message: string } };
          };
          if (frame.kind === 'result' && frame.id === 1) {
            ws.close();
            resolve(frame.result);
          }
        };
        ws.onerror = () => reject(new Error(`the WebSocket failed during ${ch}`));
      }),
    [channel, request] as const,
  );
  if (!result.ok) throw new Error(`${channel}: ${result.error?.message ?? 'failed'}`);
  return result.data as T;
}

const agent = (id: string, name: string, role: 'leader' | 'coder', budgetNanoUsd: number | null = null) =>
  designAgent(id, name, role, { budgetNanoUsd });

test('the Fleet panel says the fleet is not enabled and how to enable it', async ({ page, appUrl, saveScreen }) => {
  // The e2e engine starts without --redis and with no Redis URL saved: turns run in-process.
  const costs = new CostsPage(page);
  await page.goto(appUrl);
  await costs.open();
  await expect(costs.fleet).toBeVisible();
  await expect(costs.fleet).toContainText('Not enabled');
  await expect(costs.fleet).toContainText('start with --redis URL or set the Redis URL in Settings');
  await expect(costs.fleet.getByRole('table', { name: 'Fleet workers' })).toHaveCount(0);
  await saveScreen('costs-fleet-off');

  // Its link leads to the setting, which says when a change applies.
  await costs.fleet.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 2 })).toBeVisible();
  await expect(page.getByLabel('Redis URL')).toHaveValue('');
  await expect(page.getByText('Applies at the next start.')).toBeVisible();
});

test('spend rises live while a mission runs; models, agents, limits and the CSV export agree', async ({
  page,
  appUrl,
  dataDir,
  saveScreen,
}) => {
  test.setTimeout(120_000);
  const costs = new CostsPage(page);
  await page.goto(appUrl);

  // Before anything ran: an honest empty state, with the limiter already live.
  await costs.open();
  await expect(page.getByRole('heading', { name: 'No model calls yet' })).toBeVisible();
  await expect(costs.spent).toHaveText('$0.00');
  await expect(costs.pool('Opus')).toContainText('Running');
  await saveScreen('costs-empty');

  // Setup through the API the UI speaks: a design with two budgeted teams, a mission on a repo.
  const repo = makeRepo(join(dataDir, 'work'));
  const design = await invoke<{ id: string }>(page, 'teams:save', {
    design: {
      name: 'Shop squad',
      description: 'Checkout and catalogue',
      canvas: { zoom: 1, offset: { x: 0, y: 0 } },
      teams: [
        {
          id: 'checkout',
          name: 'Checkout',
          budgetNanoUsd: 20 * NANO,
          position: { x: 0, y: 0 },
          agents: [
            agent('checkout-lead', 'Checkout lead', 'leader'),
            agent('checkout-c1', 'Cora', 'coder', 5 * NANO),
          ],
        },
        {
          id: 'catalogue',
          name: 'Catalogue',
          budgetNanoUsd: null,
          position: { x: 300, y: 0 },
          agents: [
            agent('catalogue-lead', 'Catalogue lead', 'leader'),
            agent('catalogue-c1', 'Cato', 'coder'),
          ],
        },
      ],
    },
  });
  const mission = await invoke<{ id: string }>(page, 'missions:create', {
    designId: design.id,
    name: 'Shop changelog',
    goal: 'Add a CHANGELOG.md and a short usage section to the README.',
    repoPath: repo,
    budgetUsd: 50,
    skipPlanApproval: true,
  });
  await invoke(page, 'missions:start', { id: mission.id });

  // Spend appears, then rises, without reloading: costs:changed drives the refresh.
  await expect.poll(() => costs.spentUsd(), { timeout: 30_000 }).toBeGreaterThan(0);
  const first = await costs.spentUsd();
  await expect.poll(() => costs.spentUsd(), { timeout: 45_000 }).toBeGreaterThan(first);
  await expect(page.getByRole('heading', { name: 'Spend over time, by team' })).toBeVisible();
  await saveScreen('costs-live-all');

  // One mission: its budget bars, the per-model table with cache columns, the agents.
  await costs.missionFilter.selectOption({ label: 'Shop changelog' });
  await expect(page.getByTestId('kpi-spent')).toContainText('of $50.00 budget');
  const budgets = page.getByRole('region', { name: 'Budgets' });
  await expect(budgets.getByRole('meter', { name: 'Mission Shop changelog budget used' })).toBeVisible();
  await expect(budgets.getByRole('meter', { name: 'Team Checkout budget used' })).toBeVisible();
  await expect(budgets.getByRole('meter', { name: 'Agent Cora budget used' })).toBeVisible();

  const models = costs.modelTable;
  await expect(models.getByRole('columnheader', { name: 'Cache reads' })).toBeVisible();
  await expect(models.getByRole('columnheader', { name: 'Cache writes' })).toBeVisible();
  await expect(models.getByRole('rowheader', { name: /Claude Opus/ })).toBeVisible();
  const spentNow = await costs.spentUsd();
  expect(spentNow).toBeGreaterThan(0);

  // The per-agent table sorts by any column.
  const agents = costs.agentTable;
  await expect(agents.getByRole('rowheader').first()).toBeVisible();
  await agents.getByRole('button', { name: 'Agent' }).click();
  await expect(agents.getByRole('columnheader', { name: 'Agent' })).toHaveAttribute('aria-sort', 'ascending');
  const names = await agents.locator('tbody th .agent-name').allTextContents();
  expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  await agents.getByRole('button', { name: 'Cost' }).click();
  await expect(agents.getByRole('columnheader', { name: 'Cost' })).toHaveAttribute('aria-sort', 'descending');
  await saveScreen('costs-mission');

  // Rate limits: a gauge per bucket per pool, live from the limiter.
  for (const pool of ['Opus', 'Sonnet', 'Haiku'] as const) {
    await expect(costs.pool(pool).getByRole('meter')).toHaveCount(3);
  }
  await costs.pool('Sonnet').scrollIntoViewIfNeeded();
  await saveScreen('costs-limits');

  // Export: the visible ledger rows as CSV, one line per call plus the header.
  const download = page.waitForEvent('download');
  await costs.exportButton.click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^calls-${mission.id}-\\d{8}-\\d{4}\\.csv$`));
  const csv = readFileSync((await file.path())!, 'utf8')
    .trimEnd()
    .split('\r\n');
  // For a spreadsheet: names, ISO times and dollars; the ids at the end.
  const header = csv[0]!.split(',');
  expect(header.slice(0, 7)).toEqual(['Started (UTC)', 'Ended (UTC)', 'First token (UTC)', 'Duration (s)', 'Mission', 'Team', 'Agent']);
  expect(csv.length).toBeGreaterThan(1);
  const field = (line: string, name: string) => line.split(',')[header.indexOf(name)];
  for (const line of csv.slice(1)) {
    expect(field(line, 'Mission')).toBe('Shop changelog');
    expect(field(line, 'Mission id')).toBe(mission.id);
    expect(field(line, 'Started (UTC)')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(field(line, 'Total (USD)')).toMatch(/^\d+\.\d{9}$/);
  }
  expect(csv.slice(1).some((line) => ['Catalogue lead', 'Cato'].includes(field(line, 'Agent') ?? ''))).toBe(true);
  await expect(page.getByRole('status').filter({ hasText: /Exported \d+ calls? as calls-/ })).toBeVisible();

  // Dark theme, same data.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await saveScreen('costs-mission-dark');

  await invoke(page, 'missions:cancel', { id: mission.id });
});

/** Frames of the page's WebSocket, rewritten on their way to the page (see the test below). */
type Rewrite = (channel: string, result: { ok: boolean; data?: unknown; error?: unknown }) => typeof result;

/**
 * Puts the page's WebSocket behind a rewriter: commands still reach the real engine,
 * but chosen answers (and `limits:changed` events) are altered on the way back. This is
 * how the states a healthy simulated run never reaches (a stopped pool, alerts, a failing
 * engine) are shown and screenshotted without a fake engine.
 */
async function rewriteAnswers(
  page: Page,
  rewrite: { current: Rewrite; event?: (name: string, payload: unknown) => unknown },
) {
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    const channels = new Map<number, string>();
    ws.onMessage((message) => {
      const frame = JSON.parse(String(message)) as { id: number; channel: string };
      channels.set(frame.id, frame.channel);
      server.send(message);
    });
    server.onMessage((message) => {
      const frame = JSON.parse(String(message)) as
        | { kind: 'result'; id: number; result: { ok: boolean; data?: unknown } }
        | { kind: 'events'; events: { name: string; payload: unknown }[] };
      if (frame.kind === 'result') {
        const channel = channels.get(frame.id) ?? '';
        ws.send(JSON.stringify({ ...frame, result: rewrite.current(channel, frame.result) }));
      } else {
        const events = frame.events.map((e) => ({
          ...e,
          payload: rewrite.event ? rewrite.event(e.name, e.payload) : e.payload,
        }));
        ws.send(JSON.stringify({ ...frame, events }));
      }
    });
  });
}

test('alerts lead to their cause, a stopped pool is resumed, and a failing engine is said plainly', async ({
  page,
  appUrl,
  saveScreen,
}) => {
  let opusStopped = true;
  const stop = (state: { pools: Record<string, Record<string, unknown>> }) => {
    if (!opusStopped) return state;
    const opus = state.pools.opus!;
    return {
      ...state,
      pools: {
        ...state.pools,
        opus: {
          ...opus,
          queueDepth: 37,
          stopped: {
            reason: 'spend-limit',
            message: 'the organisation reached its monthly spend limit',
            since: Date.now(),
          },
        },
      },
    };
  };
  const alerts = [
    {
      id: 'pool_stopped:pool=opus',
      kind: 'pool_stopped',
      severity: 'critical',
      message: 'opus pool stopped: the organisation reached its monthly spend limit',
      cause: { pool: 'opus' },
      value: 1,
      threshold: 1,
    },
    {
      id: 'budget:missionId=m-demo',
      kind: 'budget',
      severity: 'warning',
      message: 'mission “Shop changelog” has used 86.0% of its $50.00 budget ($43.00 spent)',
      cause: { missionId: 'm-demo' },
      value: 0.86,
      threshold: 0.8,
    },
  ];
  const rewrite = {
    current: ((channel, result) => {
      if (!result.ok) return result;
      if (channel === 'costs:get-dashboard') {
        const data = result.data as { alerts: unknown[] };
        return { ...result, data: { ...data, alerts: opusStopped ? alerts : alerts.slice(1) } };
      }
      if (channel === 'limits:get-state') return { ...result, data: stop(result.data as never) };
      return result;
    }) as Rewrite,
    event: (name: string, payload: unknown) => (name === 'limits:changed' ? stop(payload as never) : payload),
  };
  await rewriteAnswers(page, rewrite);
  await page.goto(appUrl);
  const costs = new CostsPage(page);
  await costs.open();

  const opus = costs.pool('Opus');
  await expect(opus).toContainText('Stopped');
  await expect(opus).toContainText('monthly spend limit');
  const list = page.getByRole('region', { name: 'Alerts' });
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await saveScreen('costs-alerts');

  // The pool alert leads to the pool's gauges; the resume goes to the real limiter.
  await list.getByRole('button', { name: 'Show pool →' }).click();
  await expect(opus).toBeFocused();
  await saveScreen('costs-pool-stopped');
  opusStopped = false;
  await opus.getByRole('button', { name: 'Resume Opus pool' }).click();
  await expect(opus).toContainText('Running');
  await expect(page.getByRole('status').filter({ hasText: 'Resumed the opus pool' })).toBeVisible();
  await expect(list.getByRole('listitem')).toHaveCount(1);

  // The budget alert leads to its mission.
  await list.getByRole('button', { name: 'Open mission →' }).click();
  await expect(page).toHaveURL(/#\/missions\/m-demo$/);

  // An engine that cannot answer: said plainly, with a way to try again.
  rewrite.current = ((channel, result) =>
    channel === 'costs:get-dashboard'
      ? {
          ok: false,
          error: { code: 'database_error', message: 'costs:get-dashboard: database error: disk I/O error' },
        }
      : result) as Rewrite;
  // A refresh that fails keeps the last snapshot on screen, marked as such...
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Costs/ }).click();
  await expect(page.getByText('Could not refresh the costs')).toBeVisible();
  await expect(page.getByText('Showing the last snapshot')).toBeVisible();
  await saveScreen('costs-refresh-error');
  // ...and a page that never got one says so, with a way to try again.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'The costs could not be loaded' })).toBeVisible();
  await expect(page.getByText('disk I/O error')).toBeVisible();
  await saveScreen('costs-error');
  rewrite.current = ((_, result) => result) as Rewrite;
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'No model calls yet' })).toBeVisible();
});
