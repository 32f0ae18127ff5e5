import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { createHarness, saveDesign, type Harness } from '../engine/testing/harness.js';
import { AgentSessionsRepository } from './agent-sessions.js';

let h: Harness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

function mission(): { repo: AgentSessionsRepository; missionId: string } {
  h = createHarness(new SimulatedProvider({ seed: 1, latencyScale: 0 }));
  const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
  const { id } = h.engine.create({
    designId: design.id,
    goal: 'Anything',
    repoPath: h.repo,
    baseBranch: 'main',
    skipPlanApproval: true,
    allowedCommands: [],
    copyFiles: [],
  });
  return { repo: new AgentSessionsRepository(h.ledger.db), missionId: id };
}

describe('AgentSessionsRepository', () => {
  it('keeps the session a job runs in until it ends, and how it ended', () => {
    const { repo, missionId } = mission();
    const key = { missionId, agentId: 'core-c1', conversation: 'task:t1:c1' };
    expect(repo.get(missionId, 'core-c1', 'task:t1:c1')).toBeUndefined();
    repo.started({ ...key, runtime: 'claude-code', sessionId: 's-1', startedAt: '2026-12-03T10:00:00.000Z' });
    expect(repo.get(missionId, 'core-c1', 'task:t1:c1')).toMatchObject({ sessionId: 's-1', endedAt: null, outcome: null });
    repo.ended(key, 'error', '2026-12-03T10:05:00.000Z', 'Claude Code exited with code 1');
    expect(repo.get(missionId, 'core-c1', 'task:t1:c1')).toMatchObject({
      sessionId: 's-1',
      endedAt: '2026-12-03T10:05:00.000Z',
      outcome: 'error',
      reason: 'Claude Code exited with code 1',
    });
  });

  it('replaces the session id when a resumed job reports a new one, and reopens it', () => {
    const { repo, missionId } = mission();
    const key = { missionId, agentId: 'core-c1', conversation: 'task:t1:c1' };
    repo.started({ ...key, runtime: 'claude-code', sessionId: 's-1', startedAt: '2026-12-03T10:00:00.000Z' });
    repo.ended(key, 'aborted', '2026-12-03T10:01:00.000Z');
    repo.started({ ...key, runtime: 'claude-code', sessionId: 's-2', startedAt: '2026-12-03T10:02:00.000Z' });
    expect(repo.get(missionId, 'core-c1', 'task:t1:c1')).toMatchObject({ sessionId: 's-2', outcome: null, endedAt: null });
  });

  it('refuses a session of a mission that does not exist', () => {
    const { repo } = mission();
    expect(() =>
      repo.started({ missionId: 'nope', agentId: 'a', conversation: 'c', runtime: 'claude-code', sessionId: 's', startedAt: 'x' }),
    ).toThrow(/FOREIGN KEY/);
  });
});
