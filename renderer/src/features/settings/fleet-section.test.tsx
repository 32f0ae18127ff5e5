import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { fleetNote, fleetUrlRequest } from '../../domain/settings-form.js';
import { FleetSectionView, type FleetSectionViewProps } from './fleet-section.js';

/* Rendered to HTML in Node (no DOM); the typing and saving are the Playwright settings spec's. */

function render(props: Partial<FleetSectionViewProps> = {}): string {
  return renderToStaticMarkup(
    <FleetSectionView
      ids="f"
      value=""
      onChange={() => undefined}
      onSubmit={() => undefined}
      inUse="Not in use: every turn runs in this process."
      pending={null}
      saving={false}
      saved={false}
      error={null}
      {...props}
    />,
  );
}

describe('the Redis URL field', () => {
  it('is labelled, says empty is off and that it applies at the next start', () => {
    const html = render();
    expect(html).toContain('<label for="f-redis" class="field-label">Redis URL</label>');
    expect(html).toContain('placeholder="redis://127.0.0.1:6379"');
    expect(html).toContain('aria-describedby="f-redis-hint"');
    expect(html).toContain('empty = off. Applies at the next start.');
    expect(html).not.toContain('aria-invalid');
  });

  it('shows its validation error as an alert and marks the field invalid', () => {
    const problem = fleetUrlRequest('http://redis:6379');
    expect(problem.error).toMatch(/^Redis URL: expected redis:\/\/host:port or rediss:\/\/host:port/);
    const html = render({ value: 'http://redis:6379', error: problem.error });
    expect(html).toContain('aria-invalid="true"');
    expect(html).toMatch(/role="alert">Redis URL: expected redis:\/\/host:port/);
  });

  it('says what is in use and what waits for the next start', () => {
    const html = render({
      inUse: 'In use: redis://h:1.',
      pending: 'The saved URL applies at the next start.',
    });
    expect(html).toContain('In use: redis://h:1.');
    expect(html).toContain('The saved URL applies at the next start.');
  });
});

describe('fleetUrlRequest', () => {
  it('sends null for an empty field (off), the trimmed URL otherwise', () => {
    expect(fleetUrlRequest('   ')).toEqual({ redisUrl: null, error: null });
    expect(fleetUrlRequest(' redis://10.0.0.5:6379 ')).toEqual({
      redisUrl: 'redis://10.0.0.5:6379',
      error: null,
    });
    // A password would be a secret in the ledger: it goes on the command line instead.
    expect(fleetUrlRequest('rediss://:pass@h:6380').error).toMatch(/not saved/);
    for (const bad of ['10.0.0.5:6379', 'redis://bad host', 'redis://h:99999']) {
      expect(fleetUrlRequest(bad).error, bad).toMatch(/^Redis URL: /);
    }
  });
});

describe('fleetNote', () => {
  it('reads this run against what is saved', () => {
    expect(fleetNote({ redisUrl: null, activeRedisUrl: null, activeSource: null })).toEqual({
      inUse: 'Not in use: every turn runs in this process.',
      pending: null,
    });
    expect(fleetNote({ redisUrl: 'redis://a:1', activeRedisUrl: null, activeSource: null })).toEqual({
      inUse: 'Not in use: every turn runs in this process.',
      pending: 'The saved URL applies at the next start.',
    });
    expect(
      fleetNote({ redisUrl: 'redis://a:1', activeRedisUrl: 'redis://a:1', activeSource: 'settings' }).pending,
    ).toBeNull();
    expect(
      fleetNote({ redisUrl: null, activeRedisUrl: 'redis://a:1', activeSource: 'settings' }).pending,
    ).toBe('Off from the next start.');
    expect(
      fleetNote({ redisUrl: 'redis://a:1', activeRedisUrl: 'redis://b:2', activeSource: 'flag' }),
    ).toEqual({
      inUse: 'In use: redis://b:2 (from --redis, which wins over this setting).',
      pending: null,
    });
  });
});
