import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_SIZE,
  MIN_WINDOW_SIZE,
  fitToDisplays,
  parseWindowState,
  readWindowState,
  writeWindowState,
  type Rect,
  type SavedWindowState,
} from './window-state.js';

const laptop: Rect = { x: 0, y: 25, width: 1440, height: 875 };
const external: Rect = { x: 1440, y: 0, width: 2560, height: 1415 };
const leftOfPrimary: Rect = { x: -1920, y: 0, width: 1920, height: 1040 };

const saved = (state: Partial<SavedWindowState> = {}): SavedWindowState => ({
  x: 100,
  y: 100,
  width: 1200,
  height: 700,
  isMaximized: false,
  ...state,
});

function isInside(placement: { x?: number; y?: number; width: number; height: number }, area: Rect): boolean {
  if (placement.x === undefined || placement.y === undefined) return false;
  return (
    placement.x >= area.x &&
    placement.y >= area.y &&
    placement.x + placement.width <= area.x + area.width &&
    placement.y + placement.height <= area.y + area.height
  );
}

describe('parseWindowState', () => {
  it('accepts a well-formed state and defaults isMaximized', () => {
    expect(parseWindowState({ x: -1800, y: 10, width: 1000, height: 600 })).toEqual({
      x: -1800,
      y: 10,
      width: 1000,
      height: 600,
      isMaximized: false,
    });
    expect(parseWindowState(saved({ isMaximized: true }))?.isMaximized).toBe(true);
  });

  it('rounds fractional DIPs', () => {
    expect(parseWindowState({ x: 10.4, y: 10.6, width: 999.5, height: 600.2 })).toMatchObject({
      x: 10,
      y: 11,
      width: 1000,
      height: 600,
    });
  });

  it.each([
    null,
    undefined,
    'x',
    42,
    [],
    {},
    { x: 0, y: 0, width: 800 },
    { x: '0', y: 0, width: 800, height: 600 },
    { x: 0, y: 0, width: 0, height: 600 },
    { x: 0, y: 0, width: -800, height: 600 },
    { x: Number.NaN, y: 0, width: 800, height: 600 },
    { x: Number.POSITIVE_INFINITY, y: 0, width: 800, height: 600 },
    { x: 1e12, y: 0, width: 800, height: 600 },
    { x: 0, y: 0, width: 1e9, height: 600 },
    { x: 0, y: 0, width: 800, height: 600, isMaximized: 'yes' },
  ])('refuses %j', (value) => {
    expect(parseWindowState(value)).toBeNull();
  });
});

describe('fitToDisplays', () => {
  it('uses the default size, centred, when nothing was saved', () => {
    expect(fitToDisplays(null, [external])).toEqual({ ...DEFAULT_WINDOW_SIZE, isMaximized: false });
  });

  it('shrinks the default size to a small primary display', () => {
    const small: Rect = { x: 0, y: 0, width: 1024, height: 600 };
    expect(fitToDisplays(null, [small])).toEqual({ width: 1024, height: 600, isMaximized: false });
  });

  it('keeps bounds that are fully visible unchanged', () => {
    const state = saved({ x: 200, y: 125 });
    expect(fitToDisplays(state, [laptop, external])).toEqual(state);
  });

  it('keeps a window on a secondary display, including one at negative coordinates', () => {
    const onExternal = saved({ x: 2000, y: 200 });
    expect(fitToDisplays(onExternal, [laptop, external])).toEqual(onExternal);
    const onLeft = saved({ x: -1500, y: 100 });
    expect(fitToDisplays(onLeft, [laptop, leftOfPrimary])).toEqual(onLeft);
  });

  it('re-centres on the primary display when the saved display is gone', () => {
    const onExternal = saved({ x: 2000, y: 200 });
    const placement = fitToDisplays(onExternal, [laptop]);
    expect(placement.x).toBeUndefined();
    expect(placement.y).toBeUndefined();
    expect(placement).toMatchObject({ width: 1200, height: 700 });
  });

  it('re-centres a window that only shows a sliver', () => {
    const sliver = saved({ x: laptop.width - 20, y: 100 });
    const placement = fitToDisplays(sliver, [laptop]);
    expect(placement.x).toBeUndefined();
  });

  it('pulls a partly off-screen window fully onto its display', () => {
    const placement = fitToDisplays(saved({ x: -300, y: 500 }), [laptop]);
    expect(isInside(placement, laptop)).toBe(true);
    expect(placement).toMatchObject({ x: 0, width: 1200, height: 700 });
  });

  it('moves a window above the menu bar below it', () => {
    const placement = fitToDisplays(saved({ x: 100, y: 0 }), [laptop]);
    expect(placement.y).toBe(laptop.y);
  });

  it('shrinks a window larger than its display after a resolution change', () => {
    const huge = saved({ x: 0, y: 25, width: 3000, height: 2000 });
    const placement = fitToDisplays(huge, [laptop]);
    expect(placement).toMatchObject({ x: 0, y: 25, width: laptop.width, height: laptop.height });
  });

  it('raises a tiny window to the minimum size', () => {
    const tiny = saved({ x: 100, y: 100, width: 200, height: 100 });
    expect(fitToDisplays(tiny, [laptop])).toMatchObject(MIN_WINDOW_SIZE);
  });

  it('picks the display showing most of a window that straddles two', () => {
    const straddling = saved({ x: 1000, y: 100, width: 1200, height: 700 });
    const placement = fitToDisplays(straddling, [laptop, external]);
    expect(isInside(placement, external)).toBe(true);
  });

  it('keeps the maximised flag', () => {
    expect(fitToDisplays(saved({ isMaximized: true }), [laptop]).isMaximized).toBe(true);
    expect(fitToDisplays(saved({ x: 9000, isMaximized: true }), [laptop]).isMaximized).toBe(true);
  });

  it('always lands fully inside some display when it keeps a position', () => {
    const displays = [laptop, external, leftOfPrimary];
    for (let x = -4000; x <= 5000; x += 377) {
      for (let y = -1000; y <= 2000; y += 311) {
        for (const [width, height] of [
          [300, 200],
          [1200, 700],
          [5000, 3000],
        ] as const) {
          const placement = fitToDisplays(saved({ x, y, width, height }), displays);
          if (placement.x === undefined) {
            expect(placement.width).toBeLessThanOrEqual(laptop.width);
            expect(placement.height).toBeLessThanOrEqual(laptop.height);
          } else {
            expect(displays.some((area) => isInside(placement, area))).toBe(true);
          }
        }
      }
    }
  });

  it('falls back to the saved size without position when no display is known', () => {
    expect(fitToDisplays(saved(), [])).toEqual({ width: 1200, height: 700, isMaximized: false });
    expect(fitToDisplays(null, [])).toEqual({ ...DEFAULT_WINDOW_SIZE, isMaximized: false });
  });
});

describe('readWindowState / writeWindowState', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cr-window-state-'));
    file = path.join(dir, 'window-state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a state and leaves no temporary file', () => {
    writeWindowState(file, saved({ isMaximized: true }));
    expect(readWindowState(file)).toEqual(saved({ isMaximized: true }));
    expect(readdirSync(dir)).toEqual(['window-state.json']);
  });

  it('reads a missing, corrupt or malformed file as null', () => {
    expect(readWindowState(file)).toBeNull();
    writeFileSync(file, '{"x": 1, ');
    expect(readWindowState(file)).toBeNull();
    writeFileSync(file, JSON.stringify({ x: 0, y: 0, width: 'wide', height: 1 }));
    expect(readWindowState(file)).toBeNull();
  });

  it('does not write an invalid state', () => {
    writeWindowState(file, saved());
    writeWindowState(file, saved({ width: Number.NaN }));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(saved());
  });
});
