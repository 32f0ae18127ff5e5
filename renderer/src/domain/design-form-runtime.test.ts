import { describe, expect, it } from 'vitest';
import { checkDesign } from '../../../src/shared/design-rules.js';
import { designToFile, parseTeamFile } from '../../../src/shared/team-file.js';
import {
  defaultClaudeCodeSpec,
  teamDesignDraftSchema,
  type TeamDesign,
} from '../../../src/shared/team.js';
import {
  describeServerMessage,
  designToForm,
  effectiveClaudeCode,
  emptyDesignForm,
  formToDraft,
  newMcpServer,
  sameForm,
  setAgentRuntime,
  setClaudeCodeTool,
  updateAgent,
  updateClaudeCode,
  type DesignForm,
} from './design-form.js';
import { applyFix } from './design-ops.js';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

/** Team 1 = Lead 1 + Coder 1-1, the coder switched to Claude Code. */
function claudeCodeForm(): { form: DesignForm; teamId: string; coderId: string } {
  const base = emptyDesignForm(ids());
  const team = base.teams[0]!;
  const coderId = team.agents[1]!.id;
  return { form: setAgentRuntime(base, team.id, coderId, 'claude-code'), teamId: team.id, coderId };
}

const coder = (form: DesignForm) => form.teams[0]!.agents[1]!;

function savedFrom(form: DesignForm): TeamDesign {
  const built = formToDraft({ ...form, name: 'CC' }, { id: 'd1' });
  if (!built.ok) throw new Error(built.message);
  const draft = teamDesignDraftSchema.parse(built.draft);
  return {
    ...draft,
    id: 'd1',
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('the runtime in the form', () => {
  it('starts every new agent on the built-in runtime, and saves it as designs always were', () => {
    const form = emptyDesignForm(ids());
    expect(form.teams[0]!.agents.map((a) => [a.runtime, a.claudeCode])).toEqual([
      ['built-in', null],
      ['built-in', null],
    ]);
    const built = formToDraft(form);
    expect(
      built.ok && built.draft.teams[0]!.agents.every((a) => !('runtime' in a) && !('claudeCode' in a)),
    ).toBe(true);
  });

  it('switches to Claude Code on the role’s defaults, which follow a change of role until touched', () => {
    const { form, teamId, coderId } = claudeCodeForm();
    expect(coder(form)).toMatchObject({ runtime: 'claude-code', claudeCode: null });
    expect(effectiveClaudeCode(coder(form)).allowedTools).toEqual(
      defaultClaudeCodeSpec('coder').allowedTools,
    );
    const reviewer = updateAgent(form, teamId, coderId, { role: 'reviewer' });
    expect(effectiveClaudeCode(coder(reviewer)).allowedTools).toEqual(['Read', 'Glob', 'Grep', 'LS']);

    // Defaults are not written to the design: a hand-written file without them stays so.
    const built = formToDraft(form);
    expect(built.ok && built.draft.teams[0]!.agents[1]).toMatchObject({ runtime: 'claude-code' });
    expect(built.ok && 'claudeCode' in built.draft.teams[0]!.agents[1]!).toBe(false);
  });

  it('keeps picked tools in a stable order and MCP servers with only their type’s fields', () => {
    const { form, teamId, coderId } = claudeCodeForm();
    let next = updateClaudeCode(form, teamId, coderId, (cc) => setClaudeCodeTool(cc, 'WebFetch', true));
    next = updateClaudeCode(next, teamId, coderId, (cc) => setClaudeCodeTool(cc, 'Bash', false));
    next = updateClaudeCode(next, teamId, coderId, (cc) => setClaudeCodeTool(cc, 'Read', true));
    expect(coder(next).claudeCode!.allowedTools).toEqual([
      'Read',
      'Glob',
      'Grep',
      'LS',
      'Edit',
      'MultiEdit',
      'Write',
      'TodoWrite',
      'WebFetch',
    ]);
    next = updateClaudeCode(next, teamId, coderId, (cc) => ({
      ...cc,
      mcpServers: [
        { ...newMcpServer(cc), command: ' npx ', args: '-y\n@scope/server files\n\n' },
        { name: 'docs', type: 'http', command: 'left over', args: '', url: ' https://docs.example.com/mcp ' },
      ],
    }));
    const built = formToDraft(next);
    expect(built.ok && built.draft.teams[0]!.agents[1]!.claudeCode!.mcpServers).toEqual([
      { name: 'server-1', type: 'stdio', command: 'npx', args: ['-y', '@scope/server files'] },
      { name: 'docs', type: 'http', url: 'https://docs.example.com/mcp' },
    ]);
  });

  it('round-trips through a saved design and a team file without a spurious unsaved marker', () => {
    const { form, teamId, coderId } = claudeCodeForm();
    const edited = updateClaudeCode(form, teamId, coderId, (cc) => ({
      ...setClaudeCodeTool(cc, 'WebSearch', true),
      mcpServers: [{ name: 'files', type: 'stdio', command: 'npx', args: '-y\nmcp-files', url: '' }],
    }));
    const saved = savedFrom(edited);
    const reloaded = designToForm(saved);
    expect(reloaded).toEqual({ ...edited, name: 'CC' });
    // The unsaved marker compares JSON: what a save answers must read back identical.
    expect(sameForm(designToForm(savedFrom(reloaded)), reloaded)).toBe(true);
    const parsed = parseTeamFile(designToFile(saved));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(designToForm({ ...saved, ...parsed.draft, id: 'd1' }).teams[0]!.agents[1]).toEqual(
      coder(reloaded),
    );
  });

  it('drops the Claude Code settings when switched back to built-in (undo has them)', () => {
    const { form, teamId, coderId } = claudeCodeForm();
    const picked = updateClaudeCode(form, teamId, coderId, (cc) => setClaudeCodeTool(cc, 'WebSearch', true));
    const back = setAgentRuntime(picked, teamId, coderId, 'built-in');
    expect(coder(back)).toMatchObject({ runtime: 'built-in', claudeCode: null });
    // Claude Code settings of a built-in agent cannot be changed by accident.
    expect(updateClaudeCode(back, teamId, coderId, (cc) => cc)).toBe(back);
    expect(sameForm(back, emptyDesignForm(ids()))).toBe(true);
  });

  it('applies the runtime fixes the design checks offer', () => {
    const { form, coderId } = claudeCodeForm();
    const issues = checkDesign(form, {
      provider: 'simulated',
      runtimes: [{ runtime: 'claude-code', available: false, version: null, reason: 'not installed' }],
    });
    expect(issues.map((i) => i.rule)).toEqual([
      'runtime-unavailable',
      'claude-code-simulated',
      'claude-code-bash-unchecked',
    ]);
    const noBash = applyFix(form, issues[2]!.fix!.fix, ids());
    expect(effectiveClaudeCode(coder(noBash)).allowedTools).not.toContain('Bash');
    expect(coder(noBash).runtime).toBe('claude-code');
    const builtIn = applyFix(form, issues[0]!.fix!.fix, ids());
    expect(coder(builtIn)).toMatchObject({ runtime: 'built-in', claudeCode: null });
    expect(checkDesign(builtIn, { provider: 'simulated' })).toEqual([]);
    expect(coderId).toBe(coder(builtIn).id);
  });

  it('words the engine’s messages about Claude Code fields in the form’s terms', () => {
    const { form } = claudeCodeForm();
    expect(
      describeServerMessage(
        'teams:save: request.design.teams.0.agents.1.claudeCode.mcpServers.1.url: must be an http(s) URL',
        form,
      ),
    ).toBe('Team “Team 1” › agent “Coder 1-1” › MCP server 2 › URL: must be an http(s) URL');
    expect(
      describeServerMessage(
        'request.design.teams.0.agents.1.claudeCode.allowedTools.3: unknown Claude Code tool "Rm"',
        form,
      ),
    ).toBe('Team “Team 1” › agent “Coder 1-1” › Claude Code tools: unknown Claude Code tool "Rm"');
    expect(describeServerMessage('request.design.teams.0.agents.1.runtime: unknown runtime "x"', form)).toBe(
      'Team “Team 1” › agent “Coder 1-1” › runtime: unknown runtime "x"',
    );
  });
});
