import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ControlRoomApi } from '../../../../src/shared/contract.js';
import type { LeftoversView, MissionLeftovers } from '../../../../src/shared/contract/missions.js';
import type { Result } from '../../../../src/shared/result.js';
import { alwaysOpen } from '../../api/connection.js';
import { createControlRoomStore } from '../../store/store.js';
import { CleanupDialogBody, defaultSelection, formatBytes, leftoverSummary, type CleanupDialogViewProps } from './cleanup-dialog.js';

/* The dialog's listing rendered to HTML in Node, and the slice behind it against a fake API. */

const finished = (over: Partial<MissionLeftovers> = {}): MissionLeftovers => ({
  missionId: 'm-1',
  name: 'Fix the login page',
  state: 'done',
  repoPath: '/work/app',
  endedAt: '2026-12-07T10:00:00.000Z',
  worktrees: ['/data/worktrees/m-1/core/ada'],
  branches: ['cr/fix-the-login-page/core/@team', 'cr/fix-the-login-page/core/ada'],
  missionBranch: 'cr/fix-the-login-page/@mission',
  worktreeDir: '/data/worktrees/m-1',
  sizeBytes: 3 * 1024 * 1024,
  keepBranches: false,
  ...over,
});

const VIEW: LeftoversView = {
  missions: [finished(), finished({ missionId: 'm-2', name: 'Kept on purpose', state: 'cancelled', worktrees: [], sizeBytes: null, keepBranches: true })],
  unknown: [{ repoPath: '/work/app', slug: 'old-tool', branches: ['cr/old-tool/x'] }],
};

function render(over: Partial<CleanupDialogViewProps> = {}): string {
  return renderToStaticMarkup(
    <CleanupDialogBody
      ids="c"
      status="ready"
      error={null}
      leftovers={VIEW}
      selected={defaultSelection(VIEW)}
      onToggle={() => undefined}
      busy={false}
      cleanUpError={null}
      result={null}
      {...over}
    />,
  );
}

describe('the clean-up dialog', () => {
  it('lists each finished mission with what would go, ticked unless its branches were kept', () => {
    const html = render();
    expect(html).toContain('Fix the login page');
    expect(html).toContain('1 worktree and 2 branches (3.0 MB)');
    expect(html).toContain('<code>cr/fix-the-login-page/core/ada</code>');
    expect(html).toContain('Kept: <code>cr/fix-the-login-page/@mission</code>');
    expect(html).toContain('kept by “Keep branches”');
    // The first is ticked, the kept one is not.
    const boxes = html.match(/<input type="checkbox"[^>]*>/g) ?? [];
    expect(boxes).toHaveLength(2);
    expect(boxes[0]).toContain('checked');
    expect(boxes[1]).not.toContain('checked');
    // Branches of no known mission are shown, and said to be left alone.
    expect(html).toContain('1 branch folder under cr/ that no mission here owns (left alone)');
    expect(html).toContain('Running and paused missions are never touched.');
  });

  it('says when nothing is left, what went after a removal, and the engine\'s refusal', () => {
    expect(render({ leftovers: { missions: [], unknown: [] } })).toContain('Finished missions left nothing behind.');
    const after = render({ result: { missions: [{ missionId: 'm-1', worktrees: ['a'], branches: ['b', 'c'] }] } });
    expect(after).toContain('Removed 1 worktree and 2 branches. Mission branches were kept.');
    expect(render({ cleanUpError: 'only finished missions can be cleaned up: "X" is paused; nothing was removed' })).toMatch(
      /role="alert"[^>]*>only finished missions can be cleaned up: &quot;X&quot; is paused/,
    );
  });

  it('words sizes and counts as a person reads them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(250 * 1024 * 1024)).toBe('250 MB');
    expect(leftoverSummary(finished({ worktrees: [], branches: [], sizeBytes: 0 }))).toBe('its worktree folder');
    expect(leftoverSummary(finished({ sizeBytes: null }))).toBe('1 worktree and 2 branches (size not counted)');
  });
});

describe('the clean-up slice', () => {
  function setup(answers: Record<string, Result<unknown>>) {
    const calls: { channel: string; request: unknown }[] = [];
    const api: ControlRoomApi = {
      invoke: (channel, request) => {
        calls.push({ channel, request });
        return Promise.resolve(answers[channel] ?? { ok: true, data: [] }) as never;
      },
      on: () => () => undefined,
    };
    const store = createControlRoomStore({
      api,
      connection: alwaysOpen,
      transport: 'websocket',
      newId: () => 'id',
      saveFile: () => undefined,
      writeHash: () => undefined,
      loadTheme: () => 'system',
      storeTheme: () => undefined,
    });
    return { store, calls };
  }

  it('removes the chosen missions\' leftovers, then lists again from the engine', async () => {
    const { store, calls } = setup({
      'missions:list-leftovers': { ok: true, data: VIEW },
      'missions:clean-up': { ok: true, data: { missions: [{ missionId: 'm-1', worktrees: [], branches: ['b'] }] } },
    });
    await store.getState().loadLeftovers();
    expect(store.getState()).toMatchObject({ leftoversStatus: 'ready', leftovers: VIEW });
    const result = await store.getState().cleanUp(['m-1']);
    expect(result?.missions[0]?.branches).toEqual(['b']);
    expect(calls.map((c) => c.channel)).toEqual(['missions:list-leftovers', 'missions:clean-up', 'missions:list-leftovers']);
    expect(calls[1]?.request).toEqual({ missionIds: ['m-1'] });
    expect(store.getState().cleaning).toBe(false);
  });

  it('keeps the engine\'s one-line refusal for the dialog', async () => {
    const { store } = setup({
      'missions:clean-up': { ok: false, error: { code: 'conflict', message: 'only finished missions can be cleaned up: "P" is paused; nothing was removed' } },
    });
    expect(await store.getState().cleanUp(['p'])).toBeNull();
    expect(store.getState().cleanUpError).toContain('"P" is paused');
  });
});
