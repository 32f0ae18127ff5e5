import { formatHash, parseHash, sameRoute, type Route } from '../domain/route.js';
import type { AppSlice, Slice } from './state.js';

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
