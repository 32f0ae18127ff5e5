import { describe, expect, it } from 'vitest';
import type { ModelPrices } from './design-estimate.js';
import { NANO_PER_USD } from './money.js';
import { countLines, PROJECT_MEMORY_WARN_LINES, projectMemoryInfo, projectMemoryWarning } from './project-memory.js';

const OPUS = 'claude-opus-4-8';
const SONNET = 'claude-sonnet-4-6';
const prices: ModelPrices = {
  [OPUS]: { inputUsdPerMTok: 5, outputUsdPerMTok: 25, cacheReadUsdPerMTok: 0.5 },
  [SONNET]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15, cacheReadUsdPerMTok: 0.3 },
};
const agents = [
  { role: 'leader' as const, model: OPUS },
  { role: 'coder' as const, model: SONNET },
  { role: 'coder' as const, model: SONNET },
];
/** `n` lines of 39 characters and a newline: 40 characters, 10 tokens a line. */
const claudeMd = (n: number) => Array.from({ length: n }, (_, i) => `- rule ${String(i).padStart(4, '0')}: ${'x'.repeat(26)}\n`).join('');

describe('the launch warning about a long CLAUDE.md', () => {
  it('counts lines as a person does', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\n')).toBe(1);
    expect(countLines('a\nb')).toBe(2);
    expect(countLines('a\n\nb\n')).toBe(3);
  });

  it('says nothing at 300 lines', () => {
    const info = projectMemoryInfo('/repo/CLAUDE.md', claudeMd(PROJECT_MEMORY_WARN_LINES));
    expect(info.lines).toBe(300);
    expect(projectMemoryWarning(info, agents, prices)).toBeNull();
  });

  it('warns at 301 lines with its size and what it adds to every agent’s calls', () => {
    const text = claudeMd(301);
    expect(text.length).toBe(301 * 40);
    const info = projectMemoryInfo('/repo/CLAUDE.md', text);
    expect(info).toEqual({ path: '/repo/CLAUDE.md', lines: 301, chars: 12_040, tokens: 3_010 });
    const w = projectMemoryWarning(info, agents, prices);
    // Assumed workload: the leader 20 calls/h on Opus, each coder 60 calls/h on Sonnet: 140 calls/h.
    // Cached: 3,010 tokens × (20 × $0.50 + 120 × $0.30) / 1e6 = 3,010 × 46 / 1e6 = $0.13846/h.
    // Uncached: 3,010 × (20 × $5 + 120 × $3) / 1e6 = 3,010 × 460 / 1e6 = $1.3846/h.
    expect(w?.cachedNanoPerHour).toBe(Math.round(((3_010 * 46) / 1e6) * NANO_PER_USD));
    expect(w?.uncachedNanoPerHour).toBe(Math.round(((3_010 * 460) / 1e6) * NANO_PER_USD));
    expect(w?.title).toBe('CLAUDE.md is long (301 lines, about 3,010 tokens)');
    expect(w?.detail).toContain("with this design's 3 agents at about 140 calls an hour");
    expect(w?.detail).toContain('about $0.14 an hour read from the prompt cache, $1.38 an hour when it is not cached');
  });
});
