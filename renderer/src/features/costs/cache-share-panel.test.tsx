import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { readShare, type CacheShare } from '../../../../src/shared/cache-share.js';
import { CacheShareView } from './cache-share-panel.js';

/* Rendered to HTML in Node (no DOM), as the other renderer component tests are. */

const tokens = (inputTokens: number, cacheWrite5mTokens: number, cacheWrite1hTokens: number, cacheReadTokens: number) => {
  const t = { inputTokens, cacheWrite5mTokens, cacheWrite1hTokens, cacheReadTokens };
  return { ...t, readShare: readShare(t) };
};

const data: CacheShare = {
  missionId: 'm1',
  total: tokens(3_000, 1_500, 4_000, 14_000),
  byModel: [
    { model: 'claude-opus-4-8', calls: 2, ...tokens(2_000, 0, 4_000, 8_000) },
    { model: 'claude-sonnet-4-6', calls: 2, ...tokens(1_000, 1_500, 0, 6_000) },
  ],
  byAgent: [
    { missionId: 'm1', agentId: 'lead', agentName: 'Ada', role: 'leader', model: 'claude-opus-4-8', calls: 2, ...tokens(2_000, 0, 4_000, 8_000) },
    { missionId: 'm1', agentId: 'c9', agentName: 'Quiet', role: 'coder', model: 'claude-sonnet-4-6', calls: 1, ...tokens(0, 0, 0, 0) },
  ],
  agentsLeftOut: 3,
};

describe('cache-share panel', () => {
  it('shows each model and agent with its cache writes, reads and read share, a dash without input, and how many agents it left out', () => {
    const html = renderToStaticMarkup(<CacheShareView share={data} />);
    // Opus: 8,000 / 14,000 read = 57 %; Sonnet: 6,000 / 8,500 = 71 %.
    expect(html).toContain('57%');
    expect(html).toContain('71%');
    expect(html).toContain('Ada');
    expect(html).toContain('leader');
    // Writes are both lifetimes together: 4k for Ada's 1-hour entries.
    expect(html).toMatch(/Ada[\s\S]*?4k/);
    expect(html).toMatch(/Quiet[\s\S]*?—/);
    expect(html).toContain('3 more agents with less input are not listed.');
  });

  it('says so when there is no input yet', () => {
    const empty: CacheShare = { missionId: null, total: tokens(0, 0, 0, 0), byModel: [], byAgent: [], agentsLeftOut: 0 };
    expect(renderToStaticMarkup(<CacheShareView share={empty} />)).toContain('No input tokens yet.');
  });
});
