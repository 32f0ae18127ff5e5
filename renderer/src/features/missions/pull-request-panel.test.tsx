import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PullRequestOptionsView, PullRequestView } from '../../../../src/shared/pull-request.js';
import { PullRequestPanelView } from './pull-request-panel.js';

/* Rendered to HTML in Node (no DOM): what each case shows. */

const options = (extra: Partial<PullRequestOptionsView> = {}): PullRequestOptionsView => ({
  allowed: true,
  reason: null,
  remotes: [
    { name: 'fork', url: 'git@github.com:me/widgets.git', github: 'me/widgets' },
    { name: 'origin', url: 'https://github.com/acme/widgets.git', github: 'acme/widgets' },
  ],
  via: 'api',
  viaProblem: null,
  pullRequests: [],
  ...extra,
});

const opened: PullRequestView = {
  missionId: 'm1',
  remote: 'origin',
  branch: 'cr/greeting/@mission',
  base: 'main',
  url: 'https://github.com/acme/widgets/pull/12',
  number: 12,
  via: 'gh',
  draft: true,
  createdAt: '2026-12-07T14:00:00.000Z',
};

function render(o: PullRequestOptionsView, extra: { opening?: boolean; error?: string | null } = {}): string {
  return renderToStaticMarkup(<PullRequestPanelView options={o} opening={extra.opening ?? false} error={extra.error ?? null} onOpen={() => undefined} />);
}

describe('the pull request panel', () => {
  it('offers the remotes with origin chosen, a title, a draft toggle and says how it will open', () => {
    const html = render(options());
    expect(html).toMatch(/<option value="fork">fork — me\/widgets<\/option><option value="origin" selected="">origin — acme\/widgets<\/option>/);
    expect(html).toContain('type="checkbox"');
    expect(html).toContain('Push and open pull request');
    expect(html).toContain("Through GitHub&#x27;s API.");
  });

  it('says what to set when neither a token nor gh can open one', () => {
    const html = render(options({ via: null, viaProblem: 'set a GitHub token under Settings > GitHub, or log in with gh (the gh command is not installed)' }));
    expect(html).toContain('Cannot open one yet: set a GitHub token under Settings &gt; GitHub, or log in with gh');
  });

  it('shows the link once opened, opening outside the app, and no second form', () => {
    const html = render(options({ allowed: true, pullRequests: [opened] }));
    expect(html).toContain('<a href="https://github.com/acme/widgets/pull/12" target="_blank" rel="noopener noreferrer">Pull request #12</a>');
    expect(html).toContain('draft, cr/greeting/@mission → main on origin, via the gh command');
    expect(html).not.toContain('Push and open pull request');
  });

  it("shows the engine's error as an alert, and the button busy while opening", () => {
    const html = render(options(), { opening: true, error: 'GitHub refused the token (401: Bad credentials): set a valid one under Settings > GitHub' });
    expect(html).toMatch(/role="alert">GitHub refused the token \(401: Bad credentials\)/);
    expect(html).toContain('disabled="">Pushing and opening…</button>');
  });

  it('renders nothing for a mission that may not open one and has none', () => {
    expect(render(options({ allowed: false, reason: 'the mission is running' }))).toBe('');
  });

  it('asks for a remote when the repository has none', () => {
    expect(render(options({ remotes: [] }))).toContain('The repository has no remote to push to');
  });
});
