// Remembers where the main window was. The saved file is untrusted input (hand-edited,
// from another machine, from before a monitor was unplugged), so it is validated and
// then fitted onto the displays that exist now: the window always opens fully visible.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** What is written to disk: the normal (unmaximised) bounds and the maximised flag. */
export interface SavedWindowState extends Rect {
  isMaximized: boolean;
}

/** What the window is created with; no position means "let the OS centre it". */
export interface WindowPlacement extends Size {
  x?: number;
  y?: number;
  isMaximized: boolean;
}

export const WINDOW_STATE_FILE = 'window-state.json';
export const DEFAULT_WINDOW_SIZE: Readonly<Size> = Object.freeze({ width: 1280, height: 820 });
export const MIN_WINDOW_SIZE: Readonly<Size> = Object.freeze({ width: 800, height: 560 });
/** A window showing less than this of itself on a display counts as lost. */
const MIN_VISIBLE: Readonly<Size> = Object.freeze({ width: 120, height: 60 });
/** Far beyond any real desktop; larger values are corruption, not geometry. */
const MAX_COORDINATE = 100_000;

function isCoordinate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_COORDINATE;
}

function isLength(value: unknown): value is number {
  return isCoordinate(value) && Math.round(value) > 0;
}

/** Validates a parsed window-state file; anything malformed is `null` (use defaults). */
export function parseWindowState(value: unknown): SavedWindowState | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { x, y, width, height, isMaximized } = value as Record<string, unknown>;
  if (!isCoordinate(x) || !isCoordinate(y) || !isLength(width) || !isLength(height)) return null;
  if (isMaximized !== undefined && typeof isMaximized !== 'boolean') return null;
  // Scaled displays can report fractional DIPs; windows are placed on whole pixels.
  return {
    x: Math.round(x),
    y: Math.round(y),
    width: Math.round(width),
    height: Math.round(height),
    isMaximized: isMaximized ?? false,
  };
}

function intersection(a: Rect, b: Rect): Size {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function fitSize(size: Size, area: Rect, minimum: Size): Size {
  return {
    width: clamp(size.width, Math.min(minimum.width, area.width), area.width),
    height: clamp(size.height, Math.min(minimum.height, area.height), area.height),
  };
}

/**
 * Where to open the window, given the saved state and the displays' work areas
 * (primary first). The saved bounds stay on the display showing most of them, shrunk to
 * fit and moved fully inside its work area; a window that no display shows enough of
 * (monitor unplugged, resolution dropped) reopens centred on the primary display.
 */
export function fitToDisplays(
  saved: SavedWindowState | null,
  workAreas: readonly Rect[],
  defaults: Size = DEFAULT_WINDOW_SIZE,
  minimum: Size = MIN_WINDOW_SIZE,
): WindowPlacement {
  const primary = workAreas[0];
  if (primary === undefined) {
    // No display information (headless start): nothing to fit against, let the OS place it.
    return saved
      ? { width: saved.width, height: saved.height, isMaximized: saved.isMaximized }
      : { ...defaults, isMaximized: false };
  }
  if (saved === null) return { ...fitSize(defaults, primary, minimum), isMaximized: false };

  let best: Rect | undefined;
  let bestArea = 0;
  for (const area of workAreas) {
    const overlap = intersection(saved, area);
    if (overlap.width < Math.min(MIN_VISIBLE.width, saved.width)) continue;
    if (overlap.height < Math.min(MIN_VISIBLE.height, saved.height)) continue;
    if (overlap.width * overlap.height > bestArea) {
      best = area;
      bestArea = overlap.width * overlap.height;
    }
  }
  if (best === undefined) return { ...fitSize(saved, primary, minimum), isMaximized: saved.isMaximized };

  const size = fitSize(saved, best, minimum);
  return {
    x: clamp(saved.x, best.x, best.x + best.width - size.width),
    y: clamp(saved.y, best.y, best.y + best.height - size.height),
    ...size,
    isMaximized: saved.isMaximized,
  };
}

/** Reads the saved state; a missing, unreadable or malformed file is `null`. */
export function readWindowState(file: string): SavedWindowState | null {
  try {
    return parseWindowState(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

/**
 * Writes the state through a temporary file and a rename, so a crash mid-write leaves
 * the previous file rather than a truncated one. Throws on I/O errors.
 */
export function writeWindowState(file: string, state: SavedWindowState): void {
  const valid = parseWindowState(state);
  if (valid === null) return;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`, 'utf8');
  renameSync(temporary, file);
}
