import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_MEMORY_MAX_CHARS } from '../../shared/project-memory.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import type { MessagesRequest, ModelProvider } from '../llm/provider.js';
import { readProjectMemory } from './project-memory.js';
import { projectMemorySection } from './prompts.js';
import { createHarness, git, saveDesign, waitFor, type Harness } from './testing/harness.js';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(() => {
  h?.cleanup();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const systemText = (request: MessagesRequest): string =>
  typeof request.system === 'string' ? request.system : (request.system ?? []).map((b) => b.text).join('');

describe('project memory (CLAUDE.md) for built-in agents', () => {
  it('reads the file and counts its lines, or nothing when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-memory-'));
    dirs.push(dir);
    expect(readProjectMemory(dir)).toBeNull();
    writeFileSync(join(dir, 'CLAUDE.md'), 'a\nb\nc\n');
    expect(readProjectMemory(dir)).toEqual({
      text: 'a\nb\nc\n',
      info: { path: join(dir, 'CLAUDE.md'), lines: 3, chars: 6, tokens: 2 },
    });
  });

  it('is cut at the cap with a note saying how much was left out', () => {
    expect(projectMemorySection(null)).toBe('');
    expect(projectMemorySection('  \n')).toBe('');
    const short = projectMemorySection('Exports are named.\n');
    expect(short).toContain('<CLAUDE.md>\nExports are named.\n</CLAUDE.md>');
    expect(short).not.toContain('cut here');
    const long = projectMemorySection(`${'x'.repeat(PROJECT_MEMORY_MAX_CHARS)}TAIL`);
    expect(long).not.toContain('TAIL');
    expect(long).toContain(`cut here: 40,000 of its 40,004 characters`);
  });

  it("puts the repository's CLAUDE.md in every built-in agent's system prompt", async () => {
    const systems: { agent: string; system: string }[] = [];
    const simulated = new SimulatedProvider({ seed: 5, latencyScale: 0 });
    const recording: ModelProvider = {
      send: (request, options) => {
        const system = systemText(request);
        systems.push({ agent: /You are ([^,]+),/.exec(system)?.[1] ?? '?', system });
        return simulated.send(request, options);
      },
    };
    h = createHarness(recording);
    writeFileSync(join(h.repo, 'CLAUDE.md'), 'Use tabs.\nExports are named.\n');
    git(h.repo, 'add', 'CLAUDE.md');
    git(h.repo, 'commit', '-q', '-m', 'CLAUDE.md');
    const design = saveDesign(h.ledger, [{ id: 'core', coders: 1 }]);
    const { id } = h.engine.create({
      designId: design.id,
      goal: 'Build a todo CLI',
      repoPath: h.repo,
      baseBranch: 'main',
      skipPlanApproval: true,
      allowedCommands: [],
      copyFiles: [],
      director: false,
    });
    await h.engine.start(id);
    await waitFor(() => systems.some((s) => s.agent !== systems[0]?.agent) || undefined, 30_000, 'a coder call');
    await h.engine.cancel(id);
    const agents = new Set(systems.map((s) => s.agent));
    expect(agents.size).toBeGreaterThanOrEqual(2);
    for (const { system } of systems.filter((s) => s.agent !== '?')) {
      expect(system).toContain("The repository's CLAUDE.md");
      expect(system).toContain('<CLAUDE.md>\nUse tabs.\nExports are named.\n</CLAUDE.md>');
    }
  });
});
