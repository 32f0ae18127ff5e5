import type { EscalationView } from '../../../src/shared/mission.js';
import { plainMessage } from '../lib/plain-message.js';
import { recountMissions } from './missions-slice.js';
import type { EscalationsSlice, Slice, StoreState } from './state.js';

type EscalationData = Pick<StoreState, 'escalations' | 'missions' | 'missionDetails' | 'tasks'>;

/** Puts escalation snapshots in place by id, with the open-escalation counts of their loaded missions. */
export function reduceEscalations(
  state: EscalationData,
  changed: readonly EscalationView[],
): Partial<EscalationData> {
  if (changed.length === 0) return {};
  const escalations = { ...state.escalations };
  for (const e of changed) escalations[e.id] = e;
  const missionIds = changed.map((e) => e.missionId);
  return { escalations, ...recountMissions({ ...state, escalations }, missionIds) };
}

export const createEscalationsSlice: Slice<EscalationsSlice> = (deps) => (set, get) => {
  deps.api.on('escalations:changed', (escalation) => get().applyEscalation(escalation));

  const put = (escalation: EscalationView) => set(reduceEscalations(get(), [escalation]));

  return {
    escalations: {},
    deciding: [],
    escalationErrors: {},

    async decideEscalation(id, decision, options = {}) {
      if (get().deciding.includes(id)) return false;
      const previous = get().escalations[id];
      const { [id]: _dropped, ...errors } = get().escalationErrors;
      void _dropped;
      set({ deciding: [...get().deciding, id], escalationErrors: errors, missionNotice: null });
      const result = await deps.api.invoke('escalations:decide', {
        id,
        decision,
        comment: options.comment ?? '',
        ...(options.alwaysAllow === undefined ? {} : { alwaysAllow: options.alwaysAllow }),
        ...(options.budgetNanoUsd === undefined ? {} : { budgetNanoUsd: options.budgetNanoUsd }),
        ...(options.brief === undefined ? {} : { brief: options.brief }),
      });
      set({ deciding: get().deciding.filter((d) => d !== id) });
      if (!result.ok) {
        const { code, message } = result.error;
        // The Inbox shows the refusal beside the item; the mission page, in its notice bar.
        set({
          escalationErrors: { ...get().escalationErrors, [id]: message },
          missionNotice: { tone: 'error', text: `Could not send your decision: ${plainMessage(message)}` },
        });
        // Someone (a timeout, another window) decided first: show what happened.
        if (code === 'conflict') void get().loadInbox();
        return false;
      }
      put(result.data);
      get().inboxEscalationDecided(result.data, previous);
      return true;
    },

    applyEscalation(escalation) {
      const previous = get().escalations[escalation.id];
      put(escalation);
      get().inboxEscalationChanged(escalation, previous);
      get().touchMissionLog(escalation.missionId);
      get().touchTeamStatus(escalation.missionId);
    },
  };
};
