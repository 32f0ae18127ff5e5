/**
 * Reading a Messages request the way a model would: the text it was shown, the tools it
 * was offered, and the tool calls it made earlier with their results. The simulated
 * provider decides everything from these, never from state of its own.
 */
import type { ConversationMessage, MessagesRequest, RequestContentBlock } from '../provider.js';

/** One earlier tool call of the assistant, with the result the engine sent back (if any). */
export interface PastToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Index of the assistant message that made the call. */
  messageIndex: number;
  result: { text: string; isError: boolean } | null;
}

/** The system prompt as one string. */
export function systemText(request: MessagesRequest): string {
  const { system } = request;
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system.map((b) => b.text).join('\n');
}

/** The text a block shows the model (tool inputs as JSON, results as their text). */
export function blockText(block: RequestContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'tool_use':
      return JSON.stringify(block.input);
    case 'tool_result':
      return toolResultText(block.content);
  }
}

function toolResultText(content: string | Array<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((b) => b.text).join('\n');
}

/** A message's text, every block included. */
export function messageText(message: ConversationMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map(blockText).join('\n');
}

/** Only the prose of a message: text blocks, not tool calls or tool results. */
export function proseText(message: ConversationMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .filter((b) => b.type === 'text')
    .map((b) => (b.type === 'text' ? b.text : ''))
    .join('\n');
}

/**
 * Everything the engine said in prose: the user messages first (where a task's specifics live),
 * then the system prompt (standing instructions), so a label found in both resolves to
 * the specific one.
 */
export function promptText(request: MessagesRequest): string {
  // Tool results are left out: a file the agent read may contain lines like "Task: ...".
  const user = request.messages.filter((m) => m.role === 'user').map(proseText);
  return [...user, systemText(request)].join('\n');
}

/** The names of the tools offered, in order. */
export function toolNames(request: MessagesRequest): string[] {
  return (request.tools ?? []).map((t) => t.name);
}

/** Index of the last message with the given role, or -1. */
export function lastIndexOfRole(request: MessagesRequest, role: 'user' | 'assistant'): number {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    if (request.messages[i]?.role === role) return i;
  }
  return -1;
}

/** Every tool call the assistant made so far, oldest first, paired with its result. */
export function pastToolCalls(request: MessagesRequest): PastToolCall[] {
  const calls: PastToolCall[] = [];
  const byId = new Map<string, PastToolCall>();
  request.messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string') return;
    for (const block of message.content) {
      if (message.role === 'assistant' && block.type === 'tool_use') {
        const call: PastToolCall = {
          id: block.id,
          name: block.name,
          input: block.input,
          messageIndex,
          result: null,
        };
        calls.push(call);
        byId.set(block.id, call);
      } else if (message.role === 'user' && block.type === 'tool_result') {
        const call = byId.get(block.tool_use_id);
        if (call) {
          const text = toolResultText(block.content);
          // Engines mark failures with is_error; some only say so in the text.
          const isError = block.is_error === true || /^\s*(error|refused|denied)\b/i.test(text);
          call.result = { text, isError };
        }
      }
    }
  });
  return calls;
}

/** Number of assistant turns in the conversation so far. */
export function assistantTurns(request: MessagesRequest): number {
  return request.messages.filter((m) => m.role === 'assistant').length;
}

// A label at the start of a line, tolerating markdown decoration: "Goal:", "- **Goal:**", "> Goal:".
const labelPattern = (label: string): RegExp =>
  new RegExp(`^[\\s>*_#-]*${label}[*_]*\\s*:[*_]*[ \\t]*(.*)$`, 'gim');

/**
 * The value of every `Label: value` line in `text`, in order. Values are trimmed; an
 * empty value on the label line takes the next non-empty line (for "Goal:\n  text").
 */
export function labelValues(text: string, label: string): string[] {
  const out: string[] = [];
  const pattern = labelPattern(label);
  for (const match of text.matchAll(pattern)) {
    let value = (match[1] ?? '').trim();
    if (value === '') {
      const rest = text.slice((match.index ?? 0) + match[0].length).split('\n');
      value = rest.find((line) => line.trim() !== '')?.trim() ?? '';
    }
    value = value.replace(/^[*_`]+|[*_`]+$/g, '').trim();
    if (value !== '') out.push(value);
  }
  return out;
}

/** The first value of a label, or undefined. */
export function firstLabel(text: string, ...labels: string[]): string | undefined {
  for (const label of labels) {
    const value = labelValues(text, label)[0];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The last value of a label (the freshest, when a conversation repeats it), or undefined. */
export function lastLabel(text: string, ...labels: string[]): string | undefined {
  for (const label of labels) {
    const values = labelValues(text, label);
    const value = values[values.length - 1];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Splits a comma-separated list, dropping backticks, quotes and empty items. */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(/[,;]/)
    .map((item) =>
      item
        .trim()
        .replace(/^[`'"]+|[`'"]+$/g, '')
        .trim(),
    )
    .filter((item) => item !== '' && !/^\(?none\)?$/i.test(item));
}

/** The attempt number the prompt states (`Attempt: 2`, `Attempt 2 of 3`), 1 when absent. */
export function attemptNumber(text: string): number {
  let attempt = 1;
  for (const match of text.matchAll(/\battempt\s*(?:#|no\.?|number)?\s*:?\s*(\d+)/gi)) {
    const n = Number(match[1]);
    if (Number.isInteger(n) && n > attempt) attempt = n;
  }
  return attempt;
}

/** Lowercase kebab slug of the first meaningful words of `text`. */
export function slugify(text: string, maxWords = 3, maxLength = 32): string {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, ' ')
    .split(/[\s-]+/)
    .filter((w) => w !== '' && !STOPWORDS.has(w));
  let slug = '';
  for (const word of words.slice(0, maxWords)) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > maxLength) break;
    slug = next;
  }
  return slug === '' ? 'feature' : slug.replace(/^[^a-z0-9]+/, '');
}

const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'of',
  'to',
  'for',
  'in',
  'on',
  'with',
  'that',
  'this',
  'it',
  'its',
  'is',
  'are',
  'be',
  'by',
  'as',
  'at',
  'from',
  'into',
  'our',
  'we',
  'you',
  'your',
  'my',
  'me',
  'build',
  'create',
  'make',
  'implement',
  'add',
  'write',
  'small',
  'simple',
  'new',
  'please',
  'some',
  'which',
  'should',
  'can',
  'will',
  'so',
  'all',
  'each',
  'every',
]);

/** PascalCase of a slug: `todo-list` -> `TodoList`. */
export function pascalCase(slug: string): string {
  return slug
    .split('-')
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** Shortens text to `max` characters on a word boundary, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
