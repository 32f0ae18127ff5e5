import type { TranscriptEntry } from '../../../src/shared/mission.js';

/** A transcript message broken into what a person reads: text, tool calls and their results. */
export type TranscriptItem =
  | { kind: 'text'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: string; preview: string }
  | { kind: 'tool_result'; toolUseId: string; toolName: string | null; text: string; isError: boolean; preview: string }
  | { kind: 'other'; text: string };

export interface TranscriptMessage {
  id: number;
  role: 'user' | 'assistant';
  /** A compaction: the summary that replaced older turns in the model's context. */
  summary: boolean;
  /** Each job (a plan round, a task, a review) is its own conversation. */
  conversation: string;
  /** True for the first message of a conversation, where a divider helps. */
  startsConversation: boolean;
  createdAt: string;
  items: TranscriptItem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const PREVIEW_CHARS = 90;

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

// The field that says what a call is about, in the order tools name it.
const PREVIEW_KEYS = ['title', 'path', 'command', 'summary', 'question', 'key', 'query', 'message'];

/** A one-line hint of a tool call's input, so a collapsed call still says what it did. */
function inputPreview(input: unknown): string {
  if (!isRecord(input)) return '';
  for (const key of PREVIEW_KEYS) if (typeof input[key] === 'string' && input[key] !== '') return clip(input[key]);
  const first = Object.values(input).find((v) => typeof v === 'string' && v !== '');
  return typeof first === 'string' ? clip(first) : '';
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((b) => (isRecord(b) && typeof b.text === 'string' ? b.text : JSON.stringify(b))).join('\n');
  }
  return content === undefined ? '' : JSON.stringify(content, null, 2);
}

/**
 * Turns entries (Messages API wire shape, stored as sent) into display items. Tool
 * results name the tool they answer, found by id in the entries before them.
 */
export function toTranscriptMessages(entries: readonly TranscriptEntry[]): TranscriptMessage[] {
  const toolNames = new Map<string, string>();
  let previousConversation: string | null = null;
  return entries.map((entry) => {
    const items: TranscriptItem[] = [];
    const blocks = typeof entry.content === 'string' ? [{ type: 'text', text: entry.content }] : entry.content;
    if (Array.isArray(blocks)) {
      for (const block of blocks) {
        if (!isRecord(block)) continue;
        if (block.type === 'text' && typeof block.text === 'string') {
          if (block.text.trim() !== '') items.push({ kind: 'text', text: block.text });
        } else if (block.type === 'tool_use') {
          const id = String(block.id ?? '');
          const name = String(block.name ?? 'tool');
          toolNames.set(id, name);
          items.push({ kind: 'tool_use', id, name, input: JSON.stringify(block.input ?? {}, null, 2), preview: inputPreview(block.input) });
        } else if (block.type === 'tool_result') {
          const toolUseId = String(block.tool_use_id ?? '');
          const text = resultText(block.content);
          items.push({
            kind: 'tool_result',
            toolUseId,
            toolName: toolNames.get(toolUseId) ?? null,
            text,
            isError: block.is_error === true,
            preview: clip(text.split('\n').find((line) => line.trim() !== '') ?? ''),
          });
        } else {
          items.push({ kind: 'other', text: JSON.stringify(block, null, 2) });
        }
      }
    } else if (blocks !== undefined && blocks !== null) {
      items.push({ kind: 'other', text: JSON.stringify(blocks, null, 2) });
    }
    const startsConversation = entry.conversation !== previousConversation;
    previousConversation = entry.conversation;
    return {
      id: entry.id,
      role: entry.role,
      summary: entry.kind === 'compaction',
      conversation: entry.conversation,
      startsConversation,
      createdAt: entry.createdAt,
      items,
    };
  });
}

/**
 * How a job's conversation is titled: "plan:r0" → "Planning, round 1",
 * "task:<id>:c2" → "Task T3 …, claim 2", "review:<id>:a1" → "Review of T3 …", "esc:<id>" → "Escalation".
 */
export function conversationTitle(conversation: string, taskLabel: (taskId: string) => string | undefined): string {
  const [kind = '', id = '', round = ''] = conversation.split(':');
  const n = round.replace(/^[a-z]+/, '');
  const task = () => taskLabel(id) ?? 'a task';
  // Plan rounds count from 0 in the engine; people count from 1.
  if (kind === 'plan') return `Planning, round ${Number(id.replace(/^r/, '')) + 1}`;
  if (kind === 'task') return `Task ${task()}${n && n !== '1' ? `, claim ${n}` : ''}`;
  if (kind === 'review') return `Review of ${task()}${n && n !== '0' ? `, attempt ${Number(n) + 1}` : ''}`;
  if (kind === 'esc') return 'Answering an escalation';
  return conversation;
}
