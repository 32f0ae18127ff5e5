import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../src/shared/contract.js';
import type { RuntimeStatus } from '../../../src/shared/contract/runtimes.js';
import type { Result } from '../../../src/shared/result.js';
import type { ConnectionSource, ConnectionState } from '../api/index.js';
import {
  effectiveClaudeCode,
  setAgentRuntime,
  setClaudeCodeTool,
  updateClaudeCode,
} from '../domain/design-form.js';
import { runtimeProblem } from './runtimes-slice.js';
import { createControlRoomStore } from './store.js';
import { isDirty } from './teams-slice.js';

const builtIn: RuntimeStatus = { runtime: 'built-in', available: true, version: null, reason: null };
const missing: RuntimeStatus = {
  runtime: 'claude-code',
  available: false,
  version: null,
  reason:
    "Claude Code's binary for linux-arm64 is not installed (@anthropic-ai/claude-agent-sdk-linux-arm64)",
};

function setup(answers: Result<unknown>[]) {
  const calls: string[] = [];
  const api: ControlRoomApi = {
    invoke: (channel) => {
      calls.push(channel);
      const answer = channel === 'runtimes:get-status' ? answers.shift() : { ok: true, data: [] };
      return Promise.resolve(
        answer ?? { ok: false, error: { code: 'internal', message: 'no answer' } },
      ) as never;
    },
    on: () => () => undefined,
  };
  // Every slice that follows the connection subscribes: each listener is kept.
  const listeners: ((state: ConnectionState) => void)[] = [];
  const connection: ConnectionSource = {
    state: 'open',
    subscribe: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    reconnectNow: () => undefined,
  } as ConnectionSource;
  let n = 0;
  const store = createControlRoomStore({
    api,
    connection,
    transport: 'websocket',
    newId: () => `id-${++n}`,
    saveFile: () => undefined,
    writeHash: () => undefined,
    loadTheme: () => 'system',
    storeTheme: () => undefined,
  });
  return { store, calls, reconnect: () => listeners.forEach((l) => l('open')) };
}

describe('runtimes slice', () => {
  it('loads the runtime status through the contract and says why Claude Code cannot start', async () => {
    const { store, calls } = setup([{ ok: true, data: { runtimes: [builtIn, missing] } }]);
    expect(store.getState()).toMatchObject({ runtimesStatus: 'idle', runtimes: [] });
    // Unknown is not unavailable: nothing is marked before the engine answers.
    expect(runtimeProblem(store.getState().runtimes, 'claude-code')).toBeNull();
    await store.getState().loadRuntimes();
    expect(calls.filter((c) => c === 'runtimes:get-status')).toHaveLength(1);
    expect(store.getState()).toMatchObject({ runtimesStatus: 'ready', runtimes: [builtIn, missing] });
    expect(runtimeProblem(store.getState().runtimes, 'claude-code')).toBe(missing.reason);
    expect(runtimeProblem(store.getState().runtimes, 'built-in')).toBeNull();
  });

  it('keeps a failure, and asks again once the engine is back', async () => {
    const { store, calls, reconnect } = setup([
      { ok: false, error: { code: 'unavailable', message: 'engine offline' } },
      {
        ok: true,
        data: { runtimes: [builtIn, { ...missing, available: true, version: '2.1.335', reason: null }] },
      },
    ]);
    await store.getState().loadRuntimes();
    expect(store.getState()).toMatchObject({ runtimesStatus: 'error', runtimesError: 'engine offline' });
    reconnect();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.filter((c) => c === 'runtimes:get-status')).toHaveLength(2);
    expect(store.getState().runtimesStatus).toBe('ready');
    expect(runtimeProblem(store.getState().runtimes, 'claude-code')).toBeNull();
  });
});

describe('runtime edits in the editor', () => {
  it('are undone, redone and marked unsaved like any other edit', () => {
    const { store } = setup([]);
    store.getState().newDesign();
    const form = () => store.getState().editor!.form;
    const team = form().teams[0]!;
    const coderId = team.agents[1]!.id;
    const coder = () => form().teams[0]!.agents[1]!;
    expect(isDirty(store.getState())).toBe(false);

    store.getState().editDesign((f) => setAgentRuntime(f, team.id, coderId, 'claude-code'));
    expect(coder().runtime).toBe('claude-code');
    expect(isDirty(store.getState())).toBe(true);
    store
      .getState()
      .editDesign((f) =>
        updateClaudeCode(f, team.id, coderId, (cc) => setClaudeCodeTool(cc, 'WebSearch', true)),
      );
    expect(effectiveClaudeCode(coder()).allowedTools).toContain('WebSearch');

    store.getState().undo();
    expect(coder()).toMatchObject({ runtime: 'claude-code', claudeCode: null });
    store.getState().undo();
    expect(coder().runtime).toBe('built-in');
    expect(isDirty(store.getState())).toBe(false);
    store.getState().redo();
    store.getState().redo();
    expect(effectiveClaudeCode(coder()).allowedTools).toContain('WebSearch');
    expect(isDirty(store.getState())).toBe(true);
  });
});
