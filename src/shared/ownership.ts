/**
 * Who owns which paths of the repository: tasks (their `owns`) and, in a design, teams
 * (their brief's `owns`). Two owners overlap when one path each names the same file or
 * folder, or one names a folder that holds the other's path. The engine refuses a plan
 * whose tasks overlap (within a team, or across teams of one phase) and a coder's write
 * outside its task's paths; the designer can hold team briefs to the same rule. Kept free
 * of zod and `node:*` so all of them share it.
 *
 * Paths are compared as the repository's file system would on Linux: case-sensitive,
 * `/`-separated (a `\` is read as a separator, as an agent on Windows habits writes it),
 * with `./`, empty and trailing segments ignored. A glob is read as the folder before its
 * first wildcard (`src/api/**` owns `src/api`), which may claim more than it means but
 * never less.
 */

/** Anything that owns paths, with whatever the caller needs to name it. */
export interface PathOwner {
  owns: readonly string[];
}

/** Two owners that claim the same place, and the paths of each that meet. */
export interface Overlap<T extends PathOwner> {
  a: T;
  b: T;
  /** The path of `a` (as `a` wrote it) that meets `pathB`. */
  pathA: string;
  pathB: string;
}

const WILDCARD = /[*?[\]{}]/;

/**
 * An owned (or written) path in one canonical spelling: `src/api` for `./src/api/`,
 * `src\api` or `src//api`; `''` for the whole repository (`.`, `./`, `**`). Null when the
 * path leaves the repository (`..` above its root, or an absolute path).
 */
export function normaliseOwnedPath(path: string): string | null {
  const trimmed = path.trim().replace(/\\/g, '/');
  if (trimmed.startsWith('/') || /^[A-Za-z]:/.test(trimmed)) return null;
  const parts: string[] = [];
  for (const part of trimmed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
      continue;
    }
    // The folder a glob lives in: everything from the first wildcard on is dropped.
    if (WILDCARD.test(part)) break;
    parts.push(part);
  }
  return parts.join('/');
}

/** Whether owned path `outer` holds `inner` (the same path, or a folder above it). Both canonical. */
function holds(outer: string, inner: string): boolean {
  return outer === '' || inner === outer || inner.startsWith(`${outer}/`);
}

/** Whether two paths meet: the same file or folder, or one is a folder holding the other. */
export function pathsOverlap(a: string, b: string): boolean {
  const na = normaliseOwnedPath(a);
  const nb = normaliseOwnedPath(b);
  if (na === null || nb === null) return false;
  return holds(na, nb) || holds(nb, na);
}

/** The owned path of `owns` that holds `path` (the most specific one), or null. A path that leaves the repository is held by none. */
export function owningPath(owns: readonly string[], path: string): string | null {
  const target = normaliseOwnedPath(path);
  if (target === null) return null;
  let best: { given: string; depth: number } | null = null;
  for (const given of owns) {
    const owned = normaliseOwnedPath(given);
    if (owned === null || !holds(owned, target)) continue;
    const depth = owned === '' ? 0 : owned.split('/').length;
    if (!best || depth > best.depth) best = { given, depth };
  }
  return best?.given ?? null;
}

/** The first pair of paths, one of each list, that overlap; null when none do. */
export function firstOverlap(a: readonly string[], b: readonly string[]): { pathA: string; pathB: string } | null {
  for (const pathA of a) for (const pathB of b) if (pathsOverlap(pathA, pathB)) return { pathA, pathB };
  return null;
}

/**
 * Every pair of owners whose paths overlap (one entry per pair, the first paths that
 * meet), in the order given. `compared` limits which pairs count at all: say, only
 * owners of the same phase. An owner never overlaps itself.
 */
export function findOverlaps<T extends PathOwner>(owners: readonly T[], compared: (a: T, b: T) => boolean = () => true): Overlap<T>[] {
  const found: Overlap<T>[] = [];
  for (let i = 0; i < owners.length; i++) {
    for (let j = i + 1; j < owners.length; j++) {
      const a = owners[i] as T;
      const b = owners[j] as T;
      if (!compared(a, b)) continue;
      const meet = firstOverlap(a.owns, b.owns);
      if (meet) found.push({ a, b, ...meet });
    }
  }
  return found;
}

/**
 * Who owns `path`: the owner whose owned path holds it most specifically (a task owning
 * `src/api/routes.ts` before a team owning `src/api`), the earlier one on a tie; null when
 * nobody does.
 */
export function ownerOf<T extends PathOwner>(owners: readonly T[], path: string): { owner: T; path: string } | null {
  let best: { owner: T; path: string; depth: number } | null = null;
  for (const owner of owners) {
    const given = owningPath(owner.owns, path);
    if (given === null) continue;
    const canonical = normaliseOwnedPath(given) ?? '';
    const depth = canonical === '' ? 0 : canonical.split('/').length;
    if (!best || depth > best.depth) best = { owner, path: given, depth };
  }
  return best ? { owner: best.owner, path: best.path } : null;
}
