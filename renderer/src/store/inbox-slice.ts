import type { EscalationView } from '../../../src/shared/mission.js';
import { EMPTY_FILTER, TYPE_LABELS, inboxItems, needsPerson, pruneSeen } from '../domain/inbox-model.js';
import type { InboxSlice, Slice, StoreState } from './state.js';

/** The list the inbox shows now, for actions that move through it. */
export function visibleInboxItems(state: Pick<StoreState, 'escalations' | 'inboxFilter'>): EscalationView[] {
  return inboxItems(Object.values(state.escalations), state.inboxFilter);
}

export const createInboxSlice: Slice<InboxSlice> = (deps) => (set, get) => {
  const notifier = deps.notifier;
  const storeSeen = (ids: string[]) => deps.storeSeen?.(ids);
  let loadRequest = 0;
  const contextRequests = new Map<string, number>();

  const loadContext = async (missionId: string) => {
    const request = (contextRequests.get(missionId) ?? 0) + 1;
    contextRequests.set(missionId, request);
    const result = await deps.api.invoke('missions:get', { id: missionId });
    if (contextRequests.get(missionId) !== request || !result.ok) return;
    set({
      inboxContext: { ...get().inboxContext, [missionId]: result.data },
      inboxMissions: { ...get().inboxMissions, [missionId]: result.data.mission },
    });
  };

  const markSeen = (ids: string[]) => {
    const seen = get().inboxSeen;
    const fresh = ids.filter((id) => !seen.includes(id));
    if (fresh.length === 0) return;
    const next = [...seen, ...fresh];
    set({ inboxSeen: next });
    storeSeen(next);
  };

  deps.api.on('missions:changed', (m) => {
    if (get().inboxStatus === 'idle') return;
    set({ inboxMissions: { ...get().inboxMissions, [m.id]: m } });
  });
  deps.connection.subscribe((state) => {
    // Events sent while the socket was down are lost: catch up.
    if (state === 'open' && get().inboxStatus !== 'idle') void get().loadInbox();
  });

  return {
    inboxStatus: 'idle',
    inboxError: null,
    inboxMissions: {},
    inboxContext: {},
    inboxFilter: EMPTY_FILTER,
    inboxSelectedId: null,
    inboxChecked: [],
    inboxNotice: null,
    inboxSeen: deps.loadSeen?.() ?? [],
    notifyPermission: notifier?.permission() ?? 'unsupported',

    async loadInbox() {
      const request = ++loadRequest;
      if (get().inboxStatus !== 'ready') set({ inboxStatus: 'loading', inboxError: null });
      const [escalations, missions] = await Promise.all([
        deps.api.invoke('escalations:list', { openOnly: false }),
        deps.api.invoke('missions:list', {}),
      ]);
      if (request !== loadRequest) return;
      if (!escalations.ok || !missions.ok) {
        const error = !escalations.ok ? escalations.error : !missions.ok ? missions.error : null;
        set({ inboxStatus: 'error', inboxError: error?.message ?? 'could not load the inbox' });
        return;
      }
      const byId: Record<string, EscalationView> = {};
      for (const e of escalations.data) byId[e.id] = e;
      const seen = pruneSeen(get().inboxSeen, new Set(Object.keys(byId)));
      set({
        // Open and decided, of every mission: the window's whole list, mission pages included.
        escalations: byId,
        inboxMissions: Object.fromEntries(missions.data.map((m) => [m.id, m])),
        inboxStatus: 'ready',
        inboxError: null,
        inboxSeen: seen,
      });
      storeSeen(seen);
      const withOpen = new Set(escalations.data.filter(needsPerson).map((e) => e.missionId));
      await Promise.all([...withOpen].map((id) => loadContext(id)));
    },

    setInboxFilter(patch) {
      const filter = { ...get().inboxFilter, ...patch };
      // A team filter belongs to its mission.
      if (patch.missionId !== undefined && patch.teamKey === undefined) filter.teamKey = null;
      set({ inboxFilter: filter, inboxChecked: [] });
      const items = visibleInboxItems(get());
      if (!items.some((e) => e.id === get().inboxSelectedId)) set({ inboxSelectedId: null });
    },

    selectInboxItem(id) {
      set({ inboxSelectedId: id });
      if (id) markSeen([id]);
      // An item first seen through its mission's page (loaded there before its event came)
      // was never "new" here, so its team names and plan would be missing: load them now.
      const missionId = id ? get().escalations[id]?.missionId : undefined;
      if (missionId && !get().inboxContext[missionId]) void loadContext(missionId);
    },

    moveInboxSelection(delta) {
      const items = visibleInboxItems(get());
      if (items.length === 0) return;
      const at = items.findIndex((e) => e.id === get().inboxSelectedId);
      const next = at === -1 ? (delta === 1 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + delta));
      get().selectInboxItem(items[next]!.id);
    },

    toggleInboxChecked(id) {
      const checked = get().inboxChecked;
      set({ inboxChecked: checked.includes(id) ? checked.filter((c) => c !== id) : [...checked, id] });
    },

    setInboxChecked(ids) {
      set({ inboxChecked: ids });
    },

    async approveCheckedInbox() {
      const ids = get().inboxChecked.filter((id) => {
        const e = get().escalations[id];
        return e !== undefined && needsPerson(e);
      });
      let approved = 0;
      const refused: string[] = [];
      for (const id of ids) {
        if (await get().decideEscalation(id, 'approve')) approved++;
        else refused.push(get().escalations[id]?.title ?? id);
      }
      set({
        inboxChecked: [],
        inboxNotice:
          refused.length === 0
            ? { tone: 'success', text: `Approved ${approved} ${approved === 1 ? 'item' : 'items'}.` }
            : { tone: 'error', text: `Approved ${approved}; ${refused.length} could not be approved: ${refused.join('; ')}` },
      });
    },

    markAllInboxSeen() {
      markSeen(Object.values(get().escalations).filter(needsPerson).map((e) => e.id));
    },

    async enableNotifications() {
      if (!notifier) return;
      set({ notifyPermission: await notifier.requestPermission() });
    },

    dismissInboxNotice() {
      set({ inboxNotice: null });
    },

    inboxEscalationChanged(e, previous) {
      if (get().inboxStatus !== 'ready') return;
      const fresh = needsPerson(e) && (previous === undefined || !needsPerson(previous));
      if (!fresh) return;
      // New work for the person: the plan, agents and tasks it refers to may be new too.
      void loadContext(e.missionId);
      if (!get().inboxSeen.includes(e.id)) {
        const mission = get().inboxMissions[e.missionId]?.name;
        notifier?.notify({
          title: `${TYPE_LABELS[e.type]}: needs you`,
          body: mission ? `${e.title} (${mission})` : e.title,
          tag: e.id,
          onClick: () => {
            get().navigate({ area: 'inbox' });
            get().selectInboxItem(e.id);
          },
        });
      }
    },

    inboxEscalationDecided(decided, previous) {
      const id = decided.id;
      markSeen([id]);
      set({ inboxChecked: get().inboxChecked.filter((c) => c !== id) });
      if (get().inboxSelectedId !== id) return;
      // Keep the keyboard flow going: the next item takes the decided one's place in the
      // list as it was before the decision.
      const { [id]: _decided, ...others } = get().escalations;
      void _decided;
      const before = inboxItems([...Object.values(others), ...(previous ? [previous] : [])], get().inboxFilter);
      const at = before.findIndex((e) => e.id === id);
      const after = visibleInboxItems(get());
      const next = after[Math.min(at, after.length - 1)];
      set({ inboxSelectedId: next?.id ?? null });
      if (next) markSeen([next.id]);
    },
  };
};
