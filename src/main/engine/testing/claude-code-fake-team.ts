import type { FakeReply, FakeReplyBlock, FakeResponder } from '../../llm/testing/fake-messages-api.js';
import type { ConversationMessage } from '../../llm/provider.js';

/**
 * Test support: a responder for the loopback fake Messages API that plays a whole team,
 * built-in or Claude Code, from nothing but what each request carries (its tools and
 * messages), as the real API would see it. Leaders plan two tasks and approve every
 * submission; coders write the file their task owns, run a command, optionally ask for
 * one command outside their allowlist (again, when a resumed session is told it was
 * approved while it was stopped), and submit. It never looks at Control Room's
 * state: whatever the ledger or the repository ends up with came through the real paths.
 */

export interface ScriptedTeamOptions {
  /** Task keys the leader plans, one file `src/<key>.js` each. */
  taskKeys?: readonly string[];
  /** A command on the coders' allowlist that each coder runs after writing its file. */
  command: string;
  /** A command outside the allowlist that each Claude Code coder also asks to run. */
  askCommand?: string;
  /** Files outside its task's owned paths each Claude Code coder also tries to write, after its own, by task key. */
  strayPaths?: (key: string) => readonly string[];
}

const CC = 'mcp__control-room__';

function texts(message: ConversationMessage | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
}

function toolResults(messages: readonly ConversationMessage[]): number {
  let n = 0;
  for (const m of messages) {
    if (m.role === 'user' && typeof m.content !== 'string') n += m.content.filter((b) => b.type === 'tool_result').length;
  }
  return n;
}

function lastIndexOf<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}

/** Control Room's resume prompt says a command was approved while the session was stopped. */
const approvedWhileStopped = (text: string, command: string): boolean =>
  text.includes(`\`${command}\`: approved after your session stopped`);

const use = (name: string, input: Record<string, unknown>): FakeReplyBlock => ({ type: 'tool_use', name, input });
const say = (text: string): FakeReply => ({ content: [{ type: 'text', text }] });

/** The fake's responder for a team; see the file comment for what each role does. */
export function scriptedTeamResponder(options: ScriptedTeamOptions): FakeResponder {
  const keys = options.taskKeys ?? ['alpha', 'beta'];
  return ({ body }) => {
    const tools = new Set((body.tools ?? []).map((t) => t.name));
    const has = (name: string): string | undefined => (tools.has(name) ? name : tools.has(CC + name) ? CC + name : undefined);
    // The brief and Claude Code's environment notes come before the first reply, in user or system messages.
    const opening = body.messages.slice(0, Math.max(1, body.messages.findIndex((m) => m.role === 'assistant')));
    const first = opening.map(texts).join('\n');
    const done = toolResults(body.messages);

    const createTask = has('create_task');
    if (createTask) {
      if (done > 0) return say('The plan is submitted.');
      return {
        content: [
          ...keys.map((key) =>
            use(createTask, {
              key,
              title: `Add ${key}`,
              description: `Create src/${key}.js exporting a function named ${key} that returns "${key}".`,
              acceptance_criteria: [`src/${key}.js exports ${key}()`],
              owns: [`src/${key}.js`],
              depends_on: [],
            }),
          ),
          use(has('submit_plan') ?? 'submit_plan', { summary: `One task per file: ${keys.join(', ')}.` }),
        ],
      };
    }

    const approve = has('approve_submission');
    if (approve) return done > 0 ? say('Approved.') : { content: [use(approve, { comment: 'Looks right.' })] };

    const answer = has('answer_coder');
    if (answer) return done > 0 ? say('Answered.') : { content: [use(answer, { answer: 'Go ahead.' })] };

    const submit = has('submit_task');
    if (!submit) return say('ok');
    const owns = /^Owns: (.+)$/m.exec(first)?.[1]?.split(',')[0]?.trim() ?? 'src/out.js';
    const key = /^Task: ([a-z0-9-]+)/m.exec(first)?.[1] ?? 'out';
    const content = `export function ${key.replace(/-/g, '_')}() {\n  return '${key}';\n}\n`;

    if (submit === CC + 'submit_task') {
      // Claude Code: its own Write and Bash tools, then Control Room's submit over MCP.
      const cwd = /Primary working directory: (.+)$/m.exec(first)?.[1]?.trim() ?? '.';
      const steps: FakeReplyBlock[] = [
        use('Write', { file_path: `${cwd}/${owns}`, content }),
        ...(options.strayPaths?.(key) ?? []).map((stray) => use('Write', { file_path: `${cwd}/${stray}`, content: `stray write by ${key}\n` })),
        use('Bash', { command: options.command, description: 'Check the work' }),
        ...(options.askCommand ? [use('Bash', { command: options.askCommand, description: 'Look around' })] : []),
        use(submit, { summary: `Added ${owns}.` }),
      ];
      // A session resumed with the news that its interrupted command was approved runs it
      // again (Claude Code recorded the first try as interrupted, so it counts as a step).
      const resumed = options.askCommand ? lastIndexOf(body.messages, (m) => m.role === 'user' && approvedWhileStopped(texts(m), options.askCommand ?? '')) : -1;
      if (resumed >= 0 && toolResults(body.messages.slice(resumed)) === 0) {
        return { content: [use('Bash', { command: options.askCommand ?? '', description: 'Look around' })] };
      }
      const step = steps[resumed >= 0 ? done - 1 : done];
      return step ? { content: [step] } : say('Done: the task is submitted.');
    }
    // The built-in runtime's file tools.
    const steps: FakeReplyBlock[] = [
      use('write_file', { path: owns, content }),
      use('run_command', { command: options.command }),
      use(submit, { summary: `Added ${owns}.` }),
    ];
    const step = steps[done];
    return step ? { content: [step] } : say('Done.');
  };
}
