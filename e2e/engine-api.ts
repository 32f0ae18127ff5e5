import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { DEFAULT_MODEL_BY_ROLE } from '../src/shared/models.js';
import type { TeamDesignDraft } from '../src/shared/team.js';

interface EngineResult {
  ok: boolean;
  data?: unknown;
  error?: { message: string };
}

/**
 * Invokes a command from inside the page over the engine's WebSocket, with the same
 * auth (the page's cookie) the UI uses. For setting up state only; assertions go
 * through the UI.
 */
export async function invoke<T>(page: Page, channel: string, request: unknown): Promise<T> {
  const result = await page.evaluate(
    ([ch, req]) =>
      new Promise<EngineResult>((resolve, reject) => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
        ws.onopen = () => ws.send(JSON.stringify({ kind: 'invoke', id: 1, channel: ch, request: req }));
        ws.onmessage = (message) => {
          const frame = JSON.parse(String(message.data)) as { kind: string; id?: number; result?: EngineResult };
          if (frame.kind === 'result' && frame.id === 1 && frame.result) {
            ws.close();
            resolve(frame.result);
          }
        };
        ws.onerror = () => reject(new Error(`the WebSocket failed during ${ch}`));
      }),
    [channel, request] as const,
  );
  if (!result.ok) throw new Error(`${channel}: ${result.error?.message ?? 'failed'}`);
  return result.data as T;
}

/** A git repository with one commit on main, for a mission to work on. */
export function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'E2E Person');
  git('config', 'user.email', 'e2e@example.com');
  writeFileSync(join(repo, 'README.md'), '# shop\n');
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'shop', type: 'module', private: true }, null, 2) + '\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

/** One agent of a design draft as the specs save them: the role's default model, no budget, prompt or commands unless given. */
export function designAgent(
  id: string,
  name: string,
  role: 'leader' | 'coder',
  overrides: Partial<TeamDesignDraft['teams'][number]['agents'][number]> = {},
): TeamDesignDraft['teams'][number]['agents'][number] {
  return {
    id,
    name,
    role,
    model: DEFAULT_MODEL_BY_ROLE[role],
    budgetNanoUsd: null,
    systemPrompt: '',
    permissions: { allowedCommands: [], writeScope: [] },
    idleTimeoutSec: null,
    ...overrides,
  };
}
