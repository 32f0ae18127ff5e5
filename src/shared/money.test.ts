import { describe, expect, it } from 'vitest';
import { formatUsd, nanoToUsd, usdToNano } from './money.js';

describe('money', () => {
  it('converts dollars to nano-dollars without float drift', () => {
    expect(usdToNano(0.1)).toBe(100_000_000);
    expect(usdToNano(0.3)).toBe(300_000_000);
    expect(usdToNano(12.34)).toBe(12_340_000_000);
    expect(usdToNano(0.000000001)).toBe(1);
    expect(usdToNano(1_000_000)).toBe(1_000_000_000_000_000);
    expect(usdToNano(-2.5)).toBe(-2_500_000_000);
  });

  it('round-trips every cent amount', () => {
    for (let cents = 0; cents < 100_000; cents += 7) {
      const usd = cents / 100;
      expect(usdToNano(nanoToUsd(usdToNano(usd)))).toBe(cents * 10_000_000);
    }
  });

  it('refuses amounts that are not finite', () => {
    expect(() => usdToNano(Number.NaN)).toThrow(RangeError);
    expect(() => usdToNano(Infinity)).toThrow(RangeError);
  });

  it('formats for people', () => {
    expect(formatUsd(12_340_000_000)).toBe('$12.34');
    expect(formatUsd(1_500_000)).toBe('$0.0015');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(1_234_567_000_000_000)).toBe('$1,234,567.00');
  });
});
