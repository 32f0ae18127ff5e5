// One file on purpose: its helpers need tools/, which in llm/ only a test may import.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  coderTools,
  escalationTools,
  parseToolCall,
  planningTools,
  reviewTools,
  toolDefinitions,
  type ToolSet,
} from '../../tools/agent-tools.js';
import {
  ProviderError,
  type ConversationMessage,
  type MessagesRequest,
  type ProviderEvent,
  type ProviderResult,
  type RequestContentBlock,
  type ResponseToolUseBlock,
} from '../provider.js';
import { SimulatedProvider, type SimulatedProviderOptions } from '../simulated-provider.js';

const run = promisify(execFile);
const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const fast = (options: SimulatedProviderOptions = {}): SimulatedProvider =>
  new SimulatedProvider({ latencyScale: 0, ...options });

function request(
  tools: ToolSet | null,
  messages: ConversationMessage[],
  extra: Partial<MessagesRequest> = {},
): MessagesRequest {
  return {
    model: 'claude-sonnet-4-6',
    system: 'You are an agent of Control Room.\nAllowed commands: npm test, node --test',
    max_tokens: 16_000,
    ...(tools ? { tools: toolDefinitions(tools) } : {}),
    messages,
    ...extra,
  };
}

const toolUses = (result: ProviderResult): ResponseToolUseBlock[] =>
  result.message.content.filter((b): b is ResponseToolUseBlock => b.type === 'tool_use');

/** What determinism covers: everything but timing and the ids, which are fresh per attempt. */
const withoutTiming = (result: ProviderResult) => {
  const { timing: _timing, requestId: _r, messageId: _m, headers: _h, ...rest } = result;
  return { ...rest, message: { ...rest.message, id: undefined } };
};

function expectValidCalls(tools: ToolSet, result: ProviderResult): void {
  for (const use of toolUses(result)) {
    const parsed = parseToolCall(tools, use.name, use.input, use.inputError);
    expect(parsed, `${use.name} ${JSON.stringify(use.input)}`).toMatchObject({ ok: true });
  }
}

const PLAN_PROMPT =
  'Goal: Build a todo list CLI with tags\nCoders: alice (claude-sonnet-4-6), bob (claude-haiku-4-5)';

describe('determinism', () => {
  it('gives the same result for the same seed and request', async () => {
    const req = request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]);
    const a = await fast({ seed: 7 }).send(req);
    const b = await fast({ seed: 7 }).send(req);
    expect(withoutTiming(a)).toEqual(withoutTiming(b));
  });

  it('gives every attempt fresh request ids, so the ledger records a repeated request again', async () => {
    const req = request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]);
    const a = await fast({ seed: 7 }).send(req);
    const b = await fast({ seed: 7 }).send(req);
    expect(a.requestId).not.toBe(b.requestId);
    expect(a.messageId).not.toBe(b.messageId);
  });

  it('varies with the seed', async () => {
    const req = request(coderTools, [
      { role: 'user', content: 'Task: feature-1 — Input parser\nOwns: src/a.js' },
    ]);
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => fast({ seed }).send(req)));
    const distinct = new Set(results.map((r) => JSON.stringify(withoutTiming(r))));
    expect(distinct.size).toBeGreaterThan(1);
  });
});

describe('planning', () => {
  it('creates 2–4 valid tasks with unique keys and earlier dependencies, then submits', async () => {
    let sawDependency = false;
    for (let seed = 1; seed <= 25; seed++) {
      const result = await fast({ seed }).send(
        request(planningTools, [{ role: 'user', content: `${PLAN_PROMPT}, carol\nGoal details follow.` }], {
          model: 'claude-opus-4-8',
        }),
      );
      expectValidCalls(planningTools, result);
      const uses = toolUses(result);
      expect(uses[uses.length - 1]?.name).toBe('submit_plan');
      const tasks = uses.filter((u) => u.name === 'create_task').map((u) => u.input);
      expect(tasks.length).toBeGreaterThanOrEqual(2);
      expect(tasks.length).toBeLessThanOrEqual(4);
      const keys = tasks.map((t) => t['key'] as string);
      expect(new Set(keys).size).toBe(keys.length);
      const owned = tasks.flatMap((t) => t['owns'] as string[]);
      expect(new Set(owned).size).toBe(owned.length);
      const descriptions = tasks.map((t) => t['description'] as string);
      expect(new Set(descriptions).size).toBe(descriptions.length);
      tasks.forEach((t, i) => {
        for (const dep of t['depends_on'] as string[]) {
          expect(keys.slice(0, i)).toContain(dep);
          sawDependency = true;
        }
        expect(['alice', 'bob', 'carol']).toContain(t['assignee']);
        expect(t['description']).toContain('todo list CLI');
      });
      expect(result.stop_reason).toBe('tool_use');
    }
    expect(sawDependency).toBe(true);
  });

  it('falls back to two tasks when the prompt names no goal or coders', async () => {
    const result = await fast().send(
      request(planningTools, [{ role: 'user', content: 'Please plan the work.' }]),
    );
    expectValidCalls(planningTools, result);
    expect(toolUses(result).filter((u) => u.name === 'create_task')).toHaveLength(2);
  });

  it('plans one call per turn when parallel tool use is disabled, and keeps the same plan', async () => {
    const provider = fast({ seed: 3 });
    const messages: ConversationMessage[] = [{ role: 'user', content: PLAN_PROMPT }];
    const created: string[] = [];
    for (let turn = 0; turn < 10; turn++) {
      const result = await provider.send(
        request(planningTools, messages, { tool_choice: { type: 'auto', disable_parallel_tool_use: true } }),
      );
      expectValidCalls(planningTools, result);
      const uses = toolUses(result);
      expect(uses).toHaveLength(1);
      const use = uses[0] as ResponseToolUseBlock;
      if (use.name === 'submit_plan') break;
      created.push(use.input['key'] as string);
      messages.push(assistant(result), {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: use.id, content: 'created' }],
      });
    }
    const full = toolUses(
      await provider.send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }])),
    );
    expect(created).toEqual(full.filter((u) => u.name === 'create_task').map((u) => u.input['key']));
  });
});

function assistant(result: ProviderResult): ConversationMessage {
  const content: RequestContentBlock[] = result.message.content.flatMap((b): RequestContentBlock[] =>
    b.type === 'text'
      ? [{ type: 'text', text: b.text }]
      : b.type === 'tool_use'
        ? [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }]
        : [],
  );
  return { role: 'assistant', content };
}

interface Workspace {
  dir: string;
  owns: string[];
  refuse?: (path: string) => boolean;
  answer?: string;
}

/** A tiny engine: applies the coder's file tools to a temp dir and feeds results back. */
async function driveCoder(
  provider: SimulatedProvider,
  ws: Workspace,
  firstPrompt: string,
  options: { maxTurns?: number; onSubmit?: (turn: number) => string | null; allErrors?: boolean } = {},
): Promise<{ turns: number; calls: ResponseToolUseBlock[]; submits: number }> {
  const messages: ConversationMessage[] = [{ role: 'user', content: firstPrompt }];
  const calls: ResponseToolUseBlock[] = [];
  let submits = 0;
  for (let turn = 1; turn <= (options.maxTurns ?? 10); turn++) {
    const result = await provider.send(request(coderTools, messages));
    expectValidCalls(coderTools, result);
    const uses = toolUses(result);
    expect(uses.length).toBeGreaterThan(0);
    calls.push(...uses);
    messages.push(assistant(result));
    const results: RequestContentBlock[] = [];
    let followUp: string | null = null;
    for (const use of uses) {
      const input = parseToolCall(coderTools, use.name, use.input);
      if (!input.ok) throw new Error(input.error);
      const { content, isError } = options.allErrors
        ? { content: 'error: the tool is unavailable', isError: true }
        : await applyTool(ws, input.name, input.input);
      results.push({
        type: 'tool_result',
        tool_use_id: use.id,
        content,
        ...(isError ? { is_error: true } : {}),
      });
      if (use.name === 'submit_task') {
        submits++;
        followUp = options.onSubmit?.(turn) ?? null;
        if (followUp === null) return { turns: turn, calls, submits };
      }
    }
    messages.push({
      role: 'user',
      content: followUp ? [...results, { type: 'text', text: followUp }] : results,
    });
  }
  return { turns: Infinity, calls, submits };
}

async function applyTool(
  ws: Workspace,
  name: string,
  input: Record<string, unknown>,
): Promise<{ content: string; isError: boolean }> {
  const path = typeof input['path'] === 'string' ? input['path'] : '.';
  const abs = join(ws.dir, path);
  const owned = (p: string): boolean => ws.owns.some((o) => p === o || (o.endsWith('/') && p.startsWith(o)));
  try {
    switch (name) {
      case 'list_dir':
        return { content: (await readdir(abs)).join('\n'), isError: false };
      case 'read_file':
        return { content: await readFile(abs, 'utf8'), isError: false };
      case 'write_file':
        if (!owned(path) || ws.refuse?.(path))
          return { content: `error: ${path} is outside the paths this task owns`, isError: true };
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, String(input['content']));
        return { content: `wrote ${path}`, isError: false };
      case 'edit_file': {
        const text = await readFile(abs, 'utf8');
        const old = String(input['old_text']);
        if (!text.includes(old)) return { content: 'error: old_text not found', isError: true };
        await writeFile(abs, text.replace(old, String(input['new_text'])));
        return { content: `edited ${path}`, isError: false };
      }
      case 'run_command':
        return ['npm test', 'node --test'].includes(String(input['command']))
          ? { content: 'exit code 0\n# pass 2\n# fail 0', isError: false }
          : { content: 'error: the person denied this command', isError: true };
      case 'ask_leader':
        return { content: ws.answer ?? 'Throw a TypeError for invalid input.', isError: false };
      case 'submit_task':
        return { content: 'submitted for review', isError: false };
      default:
        return { content: `error: unsupported tool ${name}`, isError: true };
    }
  } catch (err) {
    return { content: `error: ${(err as Error).message}`, isError: true };
  }
}

async function workspace(owns: string[], pkg?: object): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-coder-'));
  temps.push(dir);
  await writeFile(join(dir, 'README.md'), '# demo\n');
  if (pkg) await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  return { dir, owns };
}

const taskPrompt = (title: string, owns: string[], extra = ''): string =>
  `Task: feature-1 — ${title}\nDescription: ${title}, with tests.\nOwns: ${owns.join(', ')}\nAttempt: 1\n${extra}`;

describe('coding', () => {
  const titles = [
    'Input parser for todos',
    'Record validation',
    'In-memory store',
    'Table formatter',
    'Name normaliser',
  ];

  it('writes real, passing code and submits within 10 turns', async () => {
    const checks: Array<Promise<unknown>> = [];
    for (const [i, title] of titles.entries()) {
      for (const pkg of [undefined, { name: 'demo', type: 'module' }, { name: 'demo' }]) {
        const owns = ['src/thing.js', 'test/thing.test.js'];
        const ws = await workspace(owns, pkg);
        const outcome = await driveCoder(
          fast({ seed: i + 1, questionRate: 0.5, commandRate: 0.5 }),
          ws,
          taskPrompt(title, owns),
        );
        expect(outcome.turns).toBeLessThanOrEqual(10);
        expect(outcome.calls[0]?.name).toBe('list_dir');
        expect(outcome.calls[outcome.calls.length - 1]?.name).toBe('submit_task');
        const source = await readFile(join(ws.dir, 'src/thing.js'), 'utf8');
        expect(source).toContain('// feature-1:');
        // The generated test must really pass against the generated module.
        checks.push(
          run(process.execPath, ['--test', 'test/thing.test.js'], { cwd: ws.dir }).then(({ stdout }) =>
            expect(stdout).toMatch(/# fail 0/),
          ),
        );
      }
    }
    await Promise.all(checks);
  });

  it('sometimes asks its leader and runs commands, including unlisted ones', async () => {
    const seen = new Set<string>();
    const commands = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const owns = ['src/x.js', 'test/x.test.js'];
      const ws = await workspace(owns);
      const outcome = await driveCoder(
        fast({ seed, questionRate: 1, commandRate: 1 }),
        ws,
        taskPrompt('Table formatter', owns),
      );
      expect(outcome.turns).toBeLessThanOrEqual(10);
      for (const c of outcome.calls) {
        seen.add(c.name);
        if (c.name === 'run_command') commands.add(String(c.input['command']));
      }
    }
    expect(seen).toContain('ask_leader');
    expect(commands).toContain('npm test');
    expect([...commands].some((c) => c !== 'npm test' && c !== 'node --test')).toBe(true);
  });

  it('never asks or runs commands at rate 0', async () => {
    const owns = ['src/x.js', 'test/x.test.js'];
    const ws = await workspace(owns);
    const outcome = await driveCoder(
      fast({ questionRate: 0, commandRate: 0 }),
      ws,
      taskPrompt('Name normaliser', owns),
    );
    expect(outcome.calls.map((c) => c.name)).toEqual(['list_dir', 'write_file', 'write_file', 'submit_task']);
  });

  it('writes elsewhere within its owned paths when a path is refused', async () => {
    const owns = ['src/blocked.js', 'src/extra/'];
    const ws = await workspace(owns);
    ws.refuse = (p) => p === 'src/blocked.js';
    const outcome = await driveCoder(
      fast({ questionRate: 0, commandRate: 0 }),
      ws,
      taskPrompt('In-memory store', owns),
    );
    expect(outcome.calls[outcome.calls.length - 1]?.name).toBe('submit_task');
    const files = await readdir(join(ws.dir, 'src/extra'));
    expect(files.some((f) => f.endsWith('.js') && !f.includes('test'))).toBe(true);
  });

  it('submits explaining the failure when every path is refused', async () => {
    const owns = ['src/blocked.js'];
    const ws = await workspace(owns);
    ws.refuse = () => true;
    const outcome = await driveCoder(
      fast({ questionRate: 0, commandRate: 0 }),
      ws,
      taskPrompt('In-memory store', owns),
    );
    const last = outcome.calls[outcome.calls.length - 1];
    expect(last?.name).toBe('submit_task');
    expect(String(last?.input['summary'])).toMatch(/could not write/i);
  });

  it('acts on review feedback with an edit, then submits again', async () => {
    const owns = ['src/x.js', 'test/x.test.js'];
    const ws = await workspace(owns);
    const outcome = await driveCoder(
      fast({ questionRate: 0, commandRate: 0 }),
      ws,
      taskPrompt('Input parser', owns),
      {
        onSubmit: (turn) =>
          turn < 5
            ? 'Your submission was rejected.\nFeedback: reject non-string input with a TypeError.'
            : null,
      },
    );
    expect(outcome.submits).toBe(2);
    expect(outcome.calls.map((c) => c.name)).toContain('edit_file');
    expect(await readFile(join(ws.dir, 'src/x.js'), 'utf8')).toContain('// Review: reject non-string input');
  });

  it('revises in a fresh conversation for a later attempt', async () => {
    const owns = ['src/x.js', 'test/x.test.js'];
    const ws = await workspace(owns);
    await driveCoder(fast({ questionRate: 0, commandRate: 0 }), ws, taskPrompt('Input parser', owns));
    const second =
      taskPrompt('Input parser', owns).replace('Attempt: 1', 'Attempt: 2') +
      'Feedback: document the errors it throws.';
    const outcome = await driveCoder(fast({ questionRate: 0, commandRate: 0 }), ws, second);
    expect(outcome.calls.map((c) => c.name).slice(0, 2)).toEqual(['read_file', 'edit_file']);
    expect(outcome.calls[outcome.calls.length - 1]?.name).toBe('submit_task');
    expect(await readFile(join(ws.dir, 'src/x.js'), 'utf8')).toContain('// Review: document the errors');
  });

  it('ends its turn after an accepted submit instead of submitting again', async () => {
    const messages: ConversationMessage[] = [
      { role: 'user', content: taskPrompt('Input parser', ['src/x.js']) },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 't1', name: 'submit_task', input: { summary: 'done' } }],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't1', content: 'submitted for review' }],
      },
    ];
    const result = await fast().send(request(coderTools, messages));
    expect(result.stop_reason).toBe('end_turn');
    expect(toolUses(result)).toEqual([]);
  });

  it('submits within 8 turns even when every tool fails', async () => {
    const owns = ['src/x.js', 'test/x.test.js'];
    const ws = await workspace(owns);
    const outcome = await driveCoder(fast(), ws, taskPrompt('Input parser', owns), { allErrors: true });
    expect(outcome.turns).toBeLessThanOrEqual(8);
    expect(outcome.calls[outcome.calls.length - 1]?.name).toBe('submit_task');
  });
});

describe('reviewing and answering', () => {
  const reviewPrompt = (attempt: number): string =>
    `Task: feature-2 — Input parser\nOwns: src/p.js, test/p.test.js\nAttempt: ${attempt}\nDiff:\n--- a/src/p.js\n+++ b/src/p.js\n@@\n+export function parse() {}\nTests: pass`;

  it('rejects a first attempt at rejectRate 1 and approves at 0, with valid inputs', async () => {
    const rejected = await fast({ rejectRate: 1 }).send(
      request(reviewTools, [{ role: 'user', content: reviewPrompt(1) }]),
    );
    expectValidCalls(reviewTools, rejected);
    expect(toolUses(rejected).map((u) => u.name)).toEqual(['reject_submission']);
    expect(String(toolUses(rejected)[0]?.input['feedback'])).toMatch(/src\/p\.js|test/);
    const approved = await fast({ rejectRate: 0 }).send(
      request(reviewTools, [{ role: 'user', content: reviewPrompt(1) }]),
    );
    expect(toolUses(approved).map((u) => u.name)).toEqual(['approve_submission']);
  });

  it('always approves a second attempt', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = await fast({ seed, rejectRate: 1 }).send(
        request(reviewTools, [{ role: 'user', content: reviewPrompt(2) }]),
      );
      expectValidCalls(reviewTools, result);
      expect(toolUses(result).map((u) => u.name)).toEqual(['approve_submission']);
    }
  });

  it('rejects about rejectRate of first attempts', async () => {
    let rejections = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const result = await fast({ seed }).send(
        request(reviewTools, [{ role: 'user', content: reviewPrompt(1) }]),
      );
      if (toolUses(result)[0]?.name === 'reject_submission') rejections++;
    }
    expect(rejections).toBeGreaterThan(20);
    expect(rejections).toBeLessThan(65);
  });

  it('answers coders mostly, and sometimes escalates to the person', async () => {
    const names = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      for (const question of [
        'Should parse throw on invalid input?',
        'May I install left-pad as a dependency?',
      ]) {
        const result = await fast({ seed }).send(
          request(escalationTools, [
            { role: 'user', content: `Coder bob asks about feature-1.\nQuestion: ${question}` },
          ]),
        );
        expectValidCalls(escalationTools, result);
        names.add(toolUses(result)[0]?.name ?? '');
      }
    }
    expect(names).toEqual(new Set(['answer_coder', 'escalate_to_human']));
  });
});

describe('text replies', () => {
  it('summarises a conversation when no tools are offered', async () => {
    const messages: ConversationMessage[] = [
      { role: 'user', content: taskPrompt('Input parser', ['src/x.js']) },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't1', name: 'write_file', input: { path: 'src/x.js', content: 'x' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'wrote src/x.js' },
          { type: 'text', text: 'Summarise the conversation so far.' },
        ],
      },
    ];
    const result = await fast().send(request(null, messages));
    expect(result.stop_reason).toBe('end_turn');
    expect(toolUses(result)).toHaveLength(0);
    const text = result.message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toContain('write_file src/x.js');
    expect(text.length).toBeGreaterThan(200);
  });

  it('honours a forced tool choice', async () => {
    const result = await fast().send(
      request(coderTools, [{ role: 'user', content: taskPrompt('Input parser', ['src/x.js']) }], {
        tool_choice: { type: 'tool', name: 'submit_task' },
      }),
    );
    expectValidCalls(coderTools, result);
    expect(result.message.content.map((b) => b.type === 'tool_use' && b.name)).toEqual(['submit_task']);
  });
});

describe('streaming and usage', () => {
  it('streams like the real provider and returns ids, headers and usage', async () => {
    const events: ProviderEvent[] = [];
    const result = await fast().send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]), {
      onEvent: (e) => events.push(e),
    });
    expect(events[0]).toMatchObject({
      type: 'message_start',
      messageId: result.messageId,
      requestId: result.requestId,
    });
    expect(events[events.length - 1]).toEqual({ type: 'usage', usage: result.usage });
    expect(result.messageId).toMatch(/^msg_sim_/);
    expect(result.requestId).toMatch(/^req_sim_/);
    expect(result.headers).toEqual({ 'request-id': result.requestId });
    expect(result.message.id).toBe(result.messageId);
    for (const [index, block] of result.message.content.entries()) {
      if (block.type === 'tool_use') {
        expect(events).toContainEqual({ type: 'tool_use_start', index, id: block.id, name: block.name });
        const json = events
          .map((e) => (e.type === 'tool_input_delta' && e.index === index ? e.partialJson : ''))
          .join('');
        expect(JSON.parse(json)).toEqual(block.input);
      } else if (block.type === 'text') {
        expect(events.map((e) => (e.type === 'text_delta' && e.index === index ? e.text : '')).join('')).toBe(
          block.text,
        );
      }
    }
    expect(result.timing.firstTokenAt).not.toBeNull();
    expect(result.timing.endedAt).toBeGreaterThanOrEqual(result.timing.startedAt);
  });

  it('bills ~chars/4 of input and more output for Opus than for Haiku', async () => {
    const content = `${PLAN_PROMPT}\n${'Background. '.repeat(2_000)}`;
    const usage = async (model: string) =>
      (await fast().send(request(planningTools, [{ role: 'user', content }], { model }))).usage;
    const opus = await usage('claude-opus-4-8');
    const haiku = await usage('claude-haiku-4-5');
    expect(opus.input_tokens).toBeGreaterThan(content.length / 4);
    expect(opus.input_tokens).toBeLessThan(content.length / 4 + 3_000);
    expect(opus.output_tokens).toBeGreaterThan(haiku.output_tokens);
    expect(opus).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      service_tier: 'standard',
      server_tool_use: null,
    });
  });

  it('reports cache writes on the first turn and cache reads on later ones', async () => {
    const system = [
      { type: 'text' as const, text: 'Rules. '.repeat(1_000), cache_control: { type: 'ephemeral' as const } },
    ];
    const first = await fast().send(
      request(coderTools, [{ role: 'user', content: taskPrompt('Input parser', ['src/x.js']) }], { system }),
    );
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1_500);
    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: first.usage.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    });

    const longTask = `${taskPrompt('Input parser', ['src/x.js'])}\n${'Context. '.repeat(500)}`;
    const messages: ConversationMessage[] = [
      { role: 'user', content: [{ type: 'text', text: longTask }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 't1', name: 'list_dir', input: { path: '.' } }],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't1',
            content: 'README.md',
            cache_control: { type: 'ephemeral', ttl: '1h' },
          },
        ],
      },
    ];
    const later = await fast().send(request(coderTools, messages, { system }));
    // System, tools and the first user message were sent before: read from the cache.
    expect(later.usage.cache_read_input_tokens).toBeGreaterThan(
      first.usage.cache_creation_input_tokens + 1_000,
    );
    expect(later.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    expect(later.usage.cache_creation?.ephemeral_1h_input_tokens).toBeLessThan(100);
    expect(later.usage.input_tokens).toBe(0);

    const unmarked = messages.map((m): ConversationMessage =>
      typeof m.content === 'string'
        ? m
        : { ...m, content: m.content.map(({ cache_control: _c, ...b }) => b) },
    );
    const uncached = await fast().send(request(coderTools, unmarked));
    expect(uncached.usage.cache_read_input_tokens).toBe(0);
    expect(uncached.usage.input_tokens).toBeGreaterThan(later.usage.cache_read_input_tokens - 2_000);
  });

  it('stops at max_tokens like the API', async () => {
    const result = await fast().send(
      request(planningTools, [{ role: 'user', content: PLAN_PROMPT }], { max_tokens: 100 }),
    );
    expect(result.stop_reason).toBe('max_tokens');
    expect(result.usage.output_tokens).toBe(100);
  });

  it('refuses a request the API would refuse', async () => {
    await expect(fast().send(request(planningTools, []))).rejects.toMatchObject({
      kind: 'invalid_request',
      status: 400,
    });
  });
});

describe('latency and abort', () => {
  it('does not wait at latencyScale 0', async () => {
    const sleeps: number[] = [];
    const provider = new SimulatedProvider({ latencyScale: 0, sleep: async (ms) => void sleeps.push(ms) });
    await provider.send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]));
    expect(sleeps).toEqual([]);
  });

  it('waits a realistic time, longer for Opus than Haiku', async () => {
    const total = async (model: string, seed: number): Promise<{ first: number; all: number }> => {
      const sleeps: number[] = [];
      const events: string[] = [];
      const provider = new SimulatedProvider({
        seed,
        sleep: async (ms) => {
          sleeps.push(ms);
          events.push('sleep');
        },
      });
      await provider.send(
        request(reviewTools, [{ role: 'user', content: 'Task: feature-1\nAttempt: 2' }], { model }),
        {
          onEvent: (e) => events.push(e.type),
        },
      );
      const firstDelta = events.findIndex((e) => e === 'text_delta' || e === 'tool_use_start');
      const first = sleeps
        .slice(0, events.slice(0, firstDelta).filter((e) => e === 'sleep').length)
        .reduce((a, b) => a + b, 0);
      return { first, all: sleeps.reduce((a, b) => a + b, 0) };
    };
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const opus: number[] = [];
    const haiku: number[] = [];
    for (let seed = 1; seed <= 41; seed++) {
      const o = await total('claude-opus-4-8', seed);
      const h = await total('claude-haiku-4-5', seed);
      opus.push(o.first);
      haiku.push(h.first);
      expect(o.all).toBeGreaterThan(o.first);
    }
    expect(median(opus)).toBeGreaterThan(1_000);
    expect(median(opus)).toBeLessThan(2_500);
    expect(median(haiku)).toBeGreaterThan(400);
    expect(median(haiku)).toBeLessThan(1_000);
  });

  it('aborts before message_start without partial usage', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await fast()
      .send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]), { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'aborted', partialUsage: undefined });

    const during = new AbortController();
    const provider = new SimulatedProvider({ sleep: async () => during.abort() });
    const events: ProviderEvent[] = [];
    const err2 = await provider
      .send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]), {
        signal: during.signal,
        onEvent: (e) => events.push(e),
      })
      .catch((e: unknown) => e);
    expect(err2).toMatchObject({ kind: 'aborted', partialUsage: undefined });
    expect(events).toEqual([]);
  });

  it('aborts after the first token with the usage billed so far', async () => {
    const controller = new AbortController();
    const provider = fast();
    const events: ProviderEvent[] = [];
    const err = await provider
      .send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]), {
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'tool_input_delta') controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const pe = err as ProviderError;
    expect(pe.kind).toBe('aborted');
    const start = events[0];
    expect(start?.type).toBe('message_start');
    expect(pe.partialUsage?.input_tokens).toBe(
      start?.type === 'message_start' ? start.usage.input_tokens : -1,
    );
    expect(pe.partialUsage?.output_tokens).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'usage')).toBe(false);
  });

  it('aborts during a real wait', async () => {
    const controller = new AbortController();
    const provider = new SimulatedProvider({ latencyScale: 0.01 });
    const pending = provider.send(request(planningTools, [{ role: 'user', content: PLAN_PROMPT }]), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'message_start') setTimeout(() => controller.abort(), 0);
      },
    });
    await expect(pending).rejects.toMatchObject({
      kind: 'aborted',
      partialUsage: expect.objectContaining({ output_tokens: expect.any(Number) }),
    });
  });
});
