import { DndContext } from '@dnd-kit/core';
import { SortableContext } from '@dnd-kit/sortable';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { RuntimeStatus } from '../../../../src/shared/contract/runtimes.js';
import { checkDesign } from '../../../../src/shared/design-rules.js';
import { CLAUDE_CODE_TOOLS, defaultClaudeCodeSpec } from '../../../../src/shared/team.js';
import {
  emptyDesignForm,
  setAgentRuntime,
  updateClaudeCode,
  type DesignForm,
} from '../../domain/design-form.js';
import { AgentInspector } from './agent-inspector.js';
import { AgentRow, type Edit } from './agent-row.js';
import { mcpServerErrors } from './runtime-fields.js';

/*
 * The renderer's unit tests run in Node without a DOM: components are rendered to HTML
 * and read back, and their edits are the pure draft functions tested beside them. The
 * clicks themselves are the Playwright designer spec's.
 */

const REASON =
  "Claude Code's binary for linux-arm64 is not installed (@anthropic-ai/claude-agent-sdk-linux-arm64)";
const unavailable: RuntimeStatus = {
  runtime: 'claude-code',
  available: false,
  version: null,
  reason: REASON,
};
const available: RuntimeStatus = {
  runtime: 'claude-code',
  available: true,
  version: '2.1.335',
  reason: null,
};

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

function design(claudeCode: boolean): { form: DesignForm; teamId: string; coderId: string } {
  const base = emptyDesignForm(ids());
  const team = base.teams[0]!;
  const coderId = team.agents[1]!.id;
  return {
    form: claudeCode ? setAgentRuntime(base, team.id, coderId, 'claude-code') : base,
    teamId: team.id,
    coderId,
  };
}

const noEdit: Edit = () => undefined;

function inspector(form: DesignForm, runtimes: RuntimeStatus[] = []): string {
  const team = form.teams[0]!;
  const agent = team.agents[1]!;
  return renderToStaticMarkup(
    <AgentInspector
      form={form}
      agent={agent}
      team={team}
      issues={checkDesign(form, { runtimes }).filter((i) => i.agentId === agent.id)}
      prices={{}}
      runtimes={runtimes}
      edit={noEdit}
      onClose={() => undefined}
      announce={() => undefined}
    />,
  );
}

/** The `<select>` labelled `label`, from the `for` of its label. */
function selectNamed(html: string, label: string): string {
  const id = new RegExp(`<label for="([^"]+)" class="field-label">${label}</label>`).exec(html)?.[1];
  expect(id, `a field labelled ${label}`).toBeDefined();
  return new RegExp(`<select id="${id}"[^>]*>[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
}

const checkedTools = (html: string) =>
  CLAUDE_CODE_TOOLS.filter((tool) =>
    new RegExp(`<input id="[^"]*-tool-${tool}" type="checkbox" checked=""`).test(html),
  );

describe('the inspector’s runtime control', () => {
  it('offers Built-in and Claude Code, on Built-in for a new agent, with no Claude Code fields', () => {
    const html = inspector(design(false).form);
    const select = selectNamed(html, 'Runtime');
    expect(select).toContain('<option value="built-in" selected="">Built-in</option>');
    expect(select).toContain('<option value="claude-code">Claude Code</option>');
    expect(html).not.toContain('Claude Code tools');
    expect(html).not.toContain('MCP servers');
  });

  it('shows a Claude Code agent’s tools as checkboxes, on the role’s defaults, and an empty MCP list', () => {
    const html = inspector(design(true).form, [available]);
    expect(selectNamed(html, 'Runtime')).toContain(
      '<option value="claude-code" selected="">Claude Code</option>',
    );
    expect(html).toContain('<legend class="field-label">Claude Code tools</legend>');
    expect(checkedTools(html)).toEqual(defaultClaudeCodeSpec('coder').allowedTools);
    expect(html).toContain('Claude Code 2.1.335 is installed here.');
    expect(html).toContain('<legend class="field-label">MCP servers</legend>');
    expect(html).toContain('>Add MCP server</button>');
  });

  it('shows MCP servers by transport, and a bad field as the engine would word it', () => {
    const { form, teamId, coderId } = design(true);
    const withServers = updateClaudeCode(form, teamId, coderId, () => ({
      allowedTools: ['Read'],
      mcpServers: [
        { name: 'files', type: 'stdio', command: 'npx', args: '-y\nmcp-files', url: '' },
        { name: 'docs', type: 'sse', command: '', args: '', url: 'ftp://docs' },
      ],
    }));
    const html = inspector(withServers);
    expect(checkedTools(html)).toEqual(['Read']);
    expect(html).toContain('<legend class="visually-hidden">MCP server 1</legend>');
    expect(html).toContain('<legend class="visually-hidden">MCP server 2</legend>');
    expect(html).toMatch(/value="npx"/);
    expect(html).toContain('-y\nmcp-files</textarea>');
    // The bad URL is marked invalid and described by its message.
    const url = /<input id="([^"]+-url)"[^>]*>/.exec(html)?.[0] ?? '';
    expect(url).toContain('aria-invalid="true"');
    expect(url).toMatch(/aria-describedby="[^"]+-url-error"/);
    expect(html).toMatch(/<span id="[^"]+-url-error" class="field-error">must be an http\(s\) URL<\/span>/);
    expect(html).toContain('aria-label="Remove MCP server 2 (docs)"');
  });

  it('marks Claude Code as unavailable in the choice, the hint and the checks, with a switch back', () => {
    const html = inspector(design(true).form, [unavailable]);
    expect(selectNamed(html, 'Runtime')).toContain('Claude Code (not available here)');
    expect(html).toContain(`Claude Code cannot start on this machine: ${REASON.replaceAll("'", '&#x27;')}`);
    expect(html).toContain('runs on Claude Code, which cannot start on this machine');
    expect(html).toContain('>Switch to built-in</button>');
  });

  it('checks MCP servers field by field, duplicates included', () => {
    const blank = { name: '', type: 'stdio' as const, command: ' ', args: '', url: '' };
    expect(mcpServerErrors(blank, [])).toEqual({
      name: 'must be 1-64 letters, digits, "-" or "_"',
      command: 'must not be empty',
    });
    const files = { ...blank, name: 'files', command: 'npx' };
    expect(mcpServerErrors(files, [])).toEqual({});
    expect(mcpServerErrors(files, [files])).toEqual({
      name: 'another MCP server of this agent is called "files"',
    });
    expect(mcpServerErrors({ ...files, name: 'control-room' }, []).name).toContain('Control Room');
    expect(mcpServerErrors({ ...files, type: 'http', url: 'https://x.example/mcp' }, [])).toEqual({});
  });
});

describe('the runtime badge and warning on the board', () => {
  function row(form: DesignForm, runtimeProblem: string | null): string {
    const team = form.teams[0]!;
    const agent = team.agents[1]!;
    return renderToStaticMarkup(
      <DndContext>
        <SortableContext items={[]}>
          <AgentRow
            agent={agent}
            team={team}
            index={1}
            form={form}
            selected={false}
            flagged={false}
            runtimeProblem={runtimeProblem}
            onSelect={() => undefined}
            edit={noEdit}
            announce={() => undefined}
          />
        </SortableContext>
      </DndContext>,
    );
  }

  /** What a screen reader hears as the agent button's description. */
  const description = (html: string) => {
    const id = /class="agent-select"[^>]*aria-describedby="([^"]+)"/.exec(html)?.[1];
    const meta =
      new RegExp(`<span id="${id}" class="agent-meta">([\\s\\S]*?)</span></button>`).exec(html)?.[1] ?? '';
    return meta.replace(/<[^>]+>/g, '').replaceAll('&#x27;', "'");
  };

  it('shows nothing for a built-in agent', () => {
    const html = row(design(false).form, null);
    expect(html).not.toContain('runtime-badge');
    expect(description(html)).toBe('Coder · Sonnet 4.6');
  });

  it('badges a Claude Code agent, in its description as well as on screen', () => {
    const html = row(design(true).form, null);
    expect(html).toContain(
      '<span class="runtime-badge" title="Runs as a Claude Code session">Claude Code</span>',
    );
    expect(html).not.toContain('runtime-warning');
    expect(description(html)).toMatch(/^Coder · .+ · Claude Code$/);
  });

  it('adds a warning mark whose tooltip and accessible text give the reason', () => {
    const html = row(design(true).form, REASON);
    expect(html).toContain(
      `class="runtime-warning" title="Cannot start here: ${REASON.replaceAll("'", '&#x27;')}"`,
    );
    expect(html).toContain('<span aria-hidden="true">⚠</span>');
    expect(description(html)).toMatch(
      /· Claude Code⚠ Cannot start here: Claude Code's binary for linux-arm64 is not installed/,
    );
  });
});
