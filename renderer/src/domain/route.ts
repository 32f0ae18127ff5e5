export const AREAS = ['teams', 'missions', 'agents', 'costs', 'inbox', 'settings'] as const;
export type Area = (typeof AREAS)[number];

/** Where the person is. `design` is a design id, or 'new' for an unsaved one. */
export interface Route {
  area: Area;
  design?: string;
  /** A mission id, or 'new' for the launch form. */
  mission?: string;
}

const isArea = (s: string): s is Area => (AREAS as readonly string[]).includes(s);

/** `#/teams/abc` → { area: 'teams', design: 'abc' }; anything unknown → the Teams list. */
export function parseHash(hash: string): Route {
  const [area = '', design] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (!isArea(area)) return { area: 'teams' };
  if (area === 'missions' && design) return { area, mission: design };
  return area === 'teams' && design ? { area, design } : { area };
}

export function formatHash(route: Route): string {
  if (route.mission) return `#/${route.area}/${encodeURIComponent(route.mission)}`;
  return route.design ? `#/${route.area}/${encodeURIComponent(route.design)}` : `#/${route.area}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.area === b.area && a.design === b.design && a.mission === b.mission;
}
