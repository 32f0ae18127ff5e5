import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { estimateDesign, MIN_MEASURED_CALLS, type MeasuredWorkload } from '../../../../src/shared/design-estimate.js';
import { DEFAULT_POOL_LIMITS } from '../../../../src/shared/limits.js';
import type { DesignerSettings } from '../../store/index.js';
import { EstimatePanel } from './estimate-panel.js';

const OPUS = 'claude-opus-4-8';
const SONNET = 'claude-sonnet-4-6';
const settings: DesignerSettings = {
  status: 'ready',
  error: null,
  priceTable: null,
  poolLimits: DEFAULT_POOL_LIMITS,
  poolLimitsStored: false,
  presets: [],
};
const prices = {
  [OPUS]: { inputUsdPerMTok: 5, outputUsdPerMTok: 25, cacheReadUsdPerMTok: 0.5 },
  [SONNET]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15, cacheReadUsdPerMTok: 0.3 },
};
const teams = [
  {
    id: 'core',
    name: 'Core',
    agents: [
      { id: 'l', role: 'leader' as const, model: OPUS },
      { id: 'c', role: 'coder' as const, model: SONNET },
    ],
  },
];
const coder: MeasuredWorkload = {
  role: 'coder',
  model: SONNET,
  calls: 1_234,
  agents: 9,
  agentHours: 30,
  callsPerHour: 41.1,
  inputTokensPerCall: 1_500,
  cachedInputTokensPerCall: 30_000,
  cacheWrite5mTokensPerCall: 2_000,
  cacheWrite1hTokensPerCall: 0,
  outputTokensPerCall: 700,
};

const render = (measured?: MeasuredWorkload[]) =>
  renderToStaticMarkup(
    <EstimatePanel
      estimate={estimateDesign({ teams, prices, limits: DEFAULT_POOL_LIMITS, ...(measured ? { measured } : {}) })}
      settings={settings}
      limitsChoice="configured"
      limitsLabel="Tier 2"
      configuredLabel="Tier 2"
      onLimitsChoice={() => undefined}
      onRetry={() => undefined}
    />,
  );

/** The text of each workload row: role · model, figures, source. */
const rows = (html: string) =>
  [...html.matchAll(/<tr data-testid="estimate-workload-row">(.*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());

describe('the estimate panel', () => {
  it('says every figure is assumed when the ledger has measured nothing', () => {
    const html = render();
    expect(html).toContain('<summary>Assumptions</summary>');
    expect(rows(html)).toEqual(['Leader · Opus 4.8 20 6k + 24k + 0 1.5k assumed', 'Coder · Sonnet 4.6 60 5k + 15k + 0 1.2k assumed']);
  });

  it('shows the measured figures and how many calls they rest on, beside the assumed ones', () => {
    const html = render([coder, { ...coder, role: 'leader', model: OPUS, calls: MIN_MEASURED_CALLS - 1 }]);
    expect(html).toContain('Workload: measured and assumed');
    expect(rows(html)).toEqual([
      'Leader · Opus 4.8 20 6k + 24k + 0 1.5k assumed',
      'Coder · Sonnet 4.6 41 1.5k + 30k + 2k 700 measured over 1,234 calls',
    ]);
  });
});
