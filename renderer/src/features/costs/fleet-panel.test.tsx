import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { FleetStatusView } from '../../../../src/shared/contract/fleet.js';
import { fleetCapacity, formatUptime, unreachableText, workerLoad } from '../../domain/fleet-model.js';
import { FleetPanelView, type FleetPanelViewProps } from './fleet-panel.js';

/* Rendered to HTML in Node (no DOM), as the other renderer component tests are. */

const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

const connected: FleetStatusView = {
  enabled: true,
  redisUrl: 'redis://:***@redis.internal:6379',
  connected: true,
  error: null,
  workers: [
    {
      id: 'w-a',
      host: 'build-01',
      pid: 4242,
      concurrency: 4,
      active: 3,
      processed: 17,
      startedAt: NOW - 90 * 60_000,
      draining: false,
    },
    {
      id: 'w-b',
      host: 'build-02',
      pid: 77,
      concurrency: 2,
      active: 2,
      processed: 1_204,
      startedAt: NOW - 30_000,
      draining: true,
    },
  ],
  queue: { waiting: 12, active: 5, delayed: 1 },
  waitMs: { p50: 420, p95: 2_300, samples: 88 },
  deadLetters: 2,
  completed: 1_221,
};

function render(props: Partial<FleetPanelViewProps>): string {
  return renderToStaticMarkup(
    <FleetPanelView fleet={null} status="idle" error={null} onRetry={() => undefined} now={NOW} {...props} />,
  );
}

/** The visible text, tags dropped, entities of the few characters React escapes decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('FleetPanelView', () => {
  it('says it is reading before the first answer', () => {
    const html = render({ status: 'loading' });
    expect(html).toContain('role="status"');
    expect(text(html)).toContain('Reading the fleet');
  });

  it('offers a retry when the status cannot be read', () => {
    const html = render({ status: 'error', error: 'the engine is not connected' });
    expect(html).toContain('role="alert"');
    expect(text(html)).toContain('Could not read the fleet: the engine is not connected');
    expect(text(html)).toContain('Retry');
  });

  it('says the fleet is not enabled and how to enable it', () => {
    const html = render({ fleet: { enabled: false }, status: 'ready' });
    const t = text(html);
    expect(t).toContain('Not enabled');
    expect(t).toContain('start with --redis URL or set the Redis URL in Settings');
    expect(html).toContain('href="#/settings"');
    expect(html).not.toContain('Workers online');
  });

  it('says Redis cannot be reached, with the reason, and that turns fail with it', () => {
    const html = render({
      fleet: {
        ...connected,
        connected: false,
        error: 'connect ECONNREFUSED 10.0.0.9:6379',
        workers: [],
      },
      status: 'ready',
    });
    expect(html).toContain('role="alert"');
    const t = text(html);
    expect(t).toContain('Cannot reach Redis: connect ECONNREFUSED 10.0.0.9:6379');
    expect(t).toContain('fail with this reason');
    expect(t).not.toContain('Workers online');
  });

  it('shows workers with host, load bar and draining mark, the queue, waits and dead letters (to the Inbox)', () => {
    const html = render({ fleet: connected, status: 'ready' });
    const t = text(html);
    expect(t).toContain('Workers online 2 1 draining');
    expect(t).toContain('Turns running 5 / 6 83% of capacity');
    expect(t).toContain('12 waiting');
    expect(t).toContain('5 active · 1 delayed');
    expect(t).toContain('Wait P50 420 ms 88 turns');
    expect(t).toContain('Wait P95 2.3 s');
    expect(t).toContain('Dead letters 2 Review in the Inbox');
    expect(html).toContain('href="#/inbox"');
    expect(t).toContain('redis://:***@redis.internal:6379');

    expect(t).toContain('build-01');
    expect(t).toContain('pid 4242');
    expect(html).toMatch(
      /role="meter" aria-label="build-01: turns running" aria-valuemin="0" aria-valuemax="4" aria-valuenow="3"/,
    );
    expect(html).toContain('width:75%');
    expect(t).toContain('3 / 4');
    expect(t).toContain('1 h 30 min');
    expect(t).toContain('1,204');
    expect(html.match(/Draining/g)).toHaveLength(1);
    expect(t).toContain('Online');
  });

  it('says how to start a worker when none is online', () => {
    const t = text(render({ fleet: { ...connected, workers: [] }, status: 'ready' }));
    expect(t).toContain('Workers online 0');
    expect(t).toContain('No workers online');
    expect(t).toContain('control-room worker --redis URL');
  });

  it('keeps the last snapshot when a refresh fails', () => {
    const t = text(render({ fleet: connected, status: 'ready', error: 'the engine is not connected' }));
    expect(t).toContain('Could not refresh the fleet: the engine is not connected');
    expect(t).toContain('build-01');
  });
});

describe('fleet model', () => {
  it('measures load against concurrency, capped at full', () => {
    expect(workerLoad({ active: 1, concurrency: 4 })).toEqual({ ratio: 0.25, tone: 'ok' });
    expect(workerLoad({ active: 4, concurrency: 4 })).toEqual({ ratio: 1, tone: 'warn' });
    expect(workerLoad({ active: 5, concurrency: 4 }).ratio).toBe(1);
    expect(workerLoad({ active: 0, concurrency: 0 }).ratio).toBe(0);
  });

  it('adds up the fleet and counts its draining workers', () => {
    expect(fleetCapacity(connected.enabled ? connected.workers : [])).toEqual({
      online: 2,
      draining: 1,
      active: 5,
      concurrency: 6,
    });
  });

  it('formats uptimes and the unreachable reason', () => {
    expect(formatUptime(NOW - 40_000, NOW)).toBe('40 s');
    expect(formatUptime(NOW - 12 * 60_000, NOW)).toBe('12 min');
    expect(formatUptime(NOW - 50 * 3_600_000, NOW)).toBe('2 d 2 h');
    expect(unreachableText('cannot reach Redis at redis://h:1: no answer within 5 s')).toBe(
      'Cannot reach Redis at redis://h:1: no answer within 5 s',
    );
    expect(unreachableText(null)).toBe('Cannot reach Redis: no answer');
  });
});
