import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { MissionStore } from './mission-repository.js';
import { createHarness, saveDesign, type Harness } from '../engine/testing/harness.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

function created(): { store: MissionStore; missionId: string } {
  h = createHarness(new SimulatedProvider({ seed: 3, latencyScale: 0 }));
  const design = saveDesign(h.ledger, [{ id: 'core', coders: 2 }]);
  const { id } = h.engine.create({
    designId: design.id,
    goal: 'Build a todo CLI',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  return { store: new MissionStore(h.ledger.db), missionId: id };
}

describe('MissionStore.setTurnsWithoutProgress', () => {
  it("writes one agent's stall counter and leaves the rest of its row and its team alone", () => {
    const { store, missionId } = created();
    const before = store.agents(missionId);
    store.setTurnsWithoutProgress(missionId, 'core-c1', 3);
    const after = store.agents(missionId);
    expect(after.find((a) => a.id === 'core-c1')).toEqual({
      ...before.find((a) => a.id === 'core-c1'),
      turnsWithoutProgress: 3,
    });
    expect(after.filter((a) => a.id !== 'core-c1')).toEqual(before.filter((a) => a.id !== 'core-c1'));
  });

  it('reports an agent that has no row, rather than write nothing silently', async () => {
    const { store, missionId } = created();
    store.setTurnsWithoutProgress(missionId, 'core-c9', 1);
    store.setTurnsWithoutProgress('no-such-mission', 'core-c1', 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h?.errors.map((e) => String(e.error))).toEqual([
      expect.stringContaining('agent core-c9 of mission'),
      expect.stringContaining('agent core-c1 of mission no-such-mission has no row'),
    ]);
  });

  it('is refused by the ledger for a negative count, leaving the row as it was', async () => {
    const { store, missionId } = created();
    store.setTurnsWithoutProgress(missionId, 'core-c1', -1);
    expect(store.agents(missionId).find((a) => a.id === 'core-c1')?.turnsWithoutProgress).toBe(0);
    expect(String(h?.errors[0]?.error)).toMatch(/CHECK/);
  });
});
