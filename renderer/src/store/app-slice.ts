import type { AppInfo } from '../../../src/shared/contract/app.js';
import type { ConnectionState, TransportKind } from '../api/index.js';
import { formatHash, parseHash, sameRoute, type Area, type Route } from '../domain/route.js';
import type { Slice, ThemePreference } from './types.js';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface AppSlice {
  info: AppInfo | null;
  infoStatus: LoadStatus;
  infoError: string | null;
  connection: ConnectionState;
  /** Stays true from a failure until the next successful open, so retries do not flicker. */
  connectionLost: boolean;
  transport: TransportKind;
  route: Route;
  theme: ThemePreference;
  loadInfo(): Promise<void>;
  /** Moves to `route`, mirroring it into the address bar. */
  navigate(route: Route, options?: { replace?: boolean }): void;
  /** Follows the address bar (start-up, back/forward buttons). */
  syncFromHash(hash: string): void;
  /** A click on an area in the navigation: returns to where the person left that area. */
  showArea(area: Area): void;
  setTheme(theme: ThemePreference): void;
  reconnectNow(): void;
}

export const createAppSlice: Slice<AppSlice> = (deps) => (set, get) => {
  const enter = (route: Route) => {
    if (route.area !== 'teams') return;
    if (route.design === 'new') get().newDesign();
    else if (route.design !== undefined) void get().openDesign(route.design);
    else get().leaveEditorIfClean();
  };

  deps.connection.subscribe((state) => {
    const was = get().connection;
    set({
      connection: state,
      connectionLost: state === 'open' ? false : state === 'offline' || get().connectionLost,
    });
    // Events sent while the socket was down are lost: catch up on what they described.
    if (state === 'open' && was !== 'open') {
      if (get().infoStatus !== 'ready') void get().loadInfo();
      if (get().teamsStatus !== 'idle') void get().loadTeams();
    }
  });

  return {
    info: null,
    infoStatus: 'idle',
    infoError: null,
    connection: deps.connection.state,
    connectionLost: deps.connection.state === 'offline',
    transport: deps.transport,
    route: { area: 'teams' },
    theme: deps.loadTheme(),

    async loadInfo() {
      set({ infoStatus: 'loading', infoError: null });
      const result = await deps.api.invoke('app:get-info', {});
      if (result.ok) set({ info: result.data, infoStatus: 'ready' });
      else set({ infoStatus: 'error', infoError: result.error.message });
    },

    navigate(route, options) {
      // A message about the last page would be misleading on the next one.
      if (!sameRoute(route, get().route)) set({ route, notice: null });
      deps.writeHash(formatHash(route), options?.replace ?? false);
      enter(route);
    },

    syncFromHash(hash) {
      const route = parseHash(hash);
      if (sameRoute(route, get().route)) return;
      set({ route, notice: null });
      enter(route);
    },

    showArea(area) {
      if (area !== 'teams') {
        get().navigate({ area });
        return;
      }
      const editor = get().editor;
      get().navigate(editor ? { area, design: editor.designId ?? 'new' } : { area });
    },

    setTheme(theme) {
      deps.storeTheme(theme);
      set({ theme });
    },

    reconnectNow() {
      deps.connection.reconnectNow();
    },
  };
};
