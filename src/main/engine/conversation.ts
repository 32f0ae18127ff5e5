import type {
  CacheControl,
  ConversationMessage,
  MessagesRequest,
  RequestContentBlock,
  RequestToolUseBlock,
  ResponseContentBlock,
} from '../llm/provider.js';
import type { MissionStore } from '../ledger/mission-repository.js';

/**
 * One job's conversation with a model (a plan round, a task claim, a review), kept in
 * memory while the job runs and written to the transcript as each message is added, so
 * a restart reloads exactly what the model had seen.
 */
export class Conversation {
  readonly key: string;
  readonly messages: ConversationMessage[];
  readonly seqs: number[];
  nextSeq: number;
  /** Rough size in characters, kept incrementally (a JSON pass per turn would be O(n²)). */
  chars: number;
  /** Tool input the provider could not parse, by tool_use id (not part of the wire shape). */
  readonly inputErrors = new Map<string, string>();

  constructor(key: string, messages: ConversationMessage[], seqs: number[], nextSeq: number) {
    this.key = key;
    this.messages = messages;
    this.seqs = seqs;
    this.nextSeq = nextSeq;
    this.chars = messages.reduce((n, m) => n + messageChars(m), 0);
  }

  static load(store: MissionStore, missionId: string, agentId: string, key: string): Conversation {
    const loaded = store.loadConversation(missionId, agentId, key);
    return new Conversation(key, loaded.messages, loaded.seqs, loaded.nextSeq);
  }

  get last(): ConversationMessage | undefined {
    return this.messages[this.messages.length - 1];
  }

  /** Tool calls of the last assistant message that have no results yet. */
  pendingToolUses(): RequestToolUseBlock[] {
    const last = this.last;
    if (!last || last.role !== 'assistant' || typeof last.content === 'string') return [];
    return last.content.filter((b): b is RequestToolUseBlock => b.type === 'tool_use');
  }

  /** Appends a message to memory and the transcript (inside the caller's transaction). */
  append(
    store: MissionStore,
    ids: { missionId: string; agentId: string },
    message: ConversationMessage,
    at: string,
    usage?: { inputTokens: number; outputTokens: number },
  ): void {
    const seq = this.nextSeq;
    store.appendTranscript({
      ...ids,
      conversation: this.key,
      seq,
      kind: 'message',
      message,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      at,
    });
    this.nextSeq = seq + 1;
    this.messages.push(message);
    this.seqs.push(seq);
    this.chars += messageChars(message);
  }

  /**
   * Replaces messages `[0, keepFrom)` by `head`: a compaction row that names the last
   * seq it replaces; the rows themselves stay in the transcript.
   */
  compact(store: MissionStore, ids: { missionId: string; agentId: string }, head: ConversationMessage, keepFrom: number, at: string): void {
    const replacesThrough = this.seqs[keepFrom - 1];
    if (replacesThrough === undefined) return;
    const seq = this.nextSeq;
    store.appendTranscript({
      ...ids,
      conversation: this.key,
      seq,
      kind: 'compaction',
      message: head,
      replacesThroughSeq: replacesThrough,
      at,
    });
    this.nextSeq = seq + 1;
    this.messages.splice(0, keepFrom, head);
    this.seqs.splice(0, keepFrom, seq);
    this.chars = this.messages.reduce((n, m) => n + messageChars(m), 0);
  }
}

function messageChars(m: ConversationMessage): number {
  if (typeof m.content === 'string') return m.content.length;
  let n = 0;
  for (const b of m.content) {
    if (b.type === 'text') n += b.text.length;
    else if (b.type === 'tool_use') n += b.name.length + JSON.stringify(b.input).length;
    else n += typeof b.content === 'string' ? b.content.length : b.content.reduce((k, t) => k + t.text.length, 0);
  }
  return n;
}

/** Turns a model's reply into the blocks that are stored and sent back next turn. */
export function toRequestBlocks(content: readonly ResponseContentBlock[]): {
  blocks: RequestContentBlock[];
  inputErrors: Map<string, string>;
} {
  const blocks: RequestContentBlock[] = [];
  const inputErrors = new Map<string, string>();
  for (const b of content) {
    if (b.type === 'text') {
      if (b.text !== '') blocks.push({ type: 'text', text: b.text });
    } else if (b.type === 'tool_use') {
      blocks.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
      if (b.inputError) inputErrors.set(b.id, b.inputError);
    }
    // Thinking and server-tool blocks cannot be replayed without their signatures; the
    // raw reply is still in the calls ledger's provider log, so dropping them loses nothing.
  }
  // The API refuses an empty assistant turn.
  if (blocks.length === 0) blocks.push({ type: 'text', text: '(no output)' });
  return { blocks, inputErrors };
}

/** A transcript rendered as plain text for the compaction model; long blocks are cut. */
export function renderForSummary(messages: readonly ConversationMessage[], maxBlockChars = 2_000): string {
  const cut = (s: string) => (s.length > maxBlockChars ? `${s.slice(0, maxBlockChars)} […cut]` : s);
  const out: string[] = [];
  for (const m of messages) {
    const who = m.role === 'user' ? 'USER' : 'AGENT';
    if (typeof m.content === 'string') {
      out.push(`${who}: ${cut(m.content)}`);
      continue;
    }
    for (const b of m.content) {
      if (b.type === 'text') out.push(`${who}: ${cut(b.text)}`);
      else if (b.type === 'tool_use') out.push(`${who} called ${b.name}(${cut(JSON.stringify(b.input))})`);
      else {
        const text = typeof b.content === 'string' ? b.content : b.content.map((t) => t.text).join('\n');
        out.push(`RESULT${b.is_error ? ' (error)' : ''}: ${cut(text)}`);
      }
    }
  }
  return out.join('\n');
}

// The unmarked messages go out as the very objects stored (a string one as the same block
// form every time), so what is computed once per message object, such as the gateway's
// input estimate (`calls/estimate.ts`), stays computed once however long the conversation.
const blockForms = new WeakMap<ConversationMessage, ConversationMessage>();

function inBlockForm(m: ConversationMessage): ConversationMessage {
  if (typeof m.content !== 'string') return m;
  let form = blockForms.get(m);
  if (!form) {
    form = { role: m.role, content: [{ type: 'text', text: m.content }] };
    blockForms.set(m, form);
  }
  return form;
}

/** Where a request's prompt-cache breakpoints go, and for how long they live. */
export interface CachePlan {
  ttl: '5m' | '1h';
  /** The conversation's first message is a compaction summary: a prefix later turns share. */
  compactedHead: boolean;
}

/**
 * The system prompt, tools and messages of a call with prompt-cache breakpoints, never
 * touching the stored messages (a breakpoint belongs to one request; kept in the
 * transcript it would pile up past the API's limit of four):
 * 1. the system prompt: caches the tools and the system prompt, the stable prefix of
 *    every turn of the agent;
 * 2. after a compaction, the summary that heads the conversation: written once by the
 *    first turn after it and read by every later one;
 * 3. the end of the previous turn's prompt (the message before the last reply): the
 *    prefix the previous turn wrote, hit exactly even when the last reply and its tool
 *    results are more blocks than the API looks back over (about 20);
 * 4. the last message, a breakpoint that moves each turn: this turn writes the
 *    conversation so far, the next one reads it.
 * Every message goes out in block form, so a message is the same bytes whether or not
 * it carries a breakpoint (a string becomes one text block, as the API reads it anyway).
 * One TTL per request: the API wants 1-hour breakpoints before 5-minute ones.
 */
export function withCacheBreakpoints(
  request: Pick<MessagesRequest, 'system' | 'messages' | 'tools'>,
  plan: CachePlan,
): Pick<MessagesRequest, 'system' | 'messages' | 'tools'> {
  const cache: CacheControl = plan.ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
  const messages: ConversationMessage[] = request.messages.map(inBlockForm);
  const marks = new Set<number>();
  const last = messages.length - 1;
  if (plan.compactedHead && last > 0) marks.add(0);
  let lastReply = last;
  while (lastReply >= 0 && messages[lastReply]?.role !== 'assistant') lastReply -= 1;
  if (lastReply > 0) marks.add(lastReply - 1);
  if (last >= 0) marks.add(last);
  for (const i of marks) {
    const m = messages[i];
    if (!m || typeof m.content === 'string' || m.content.length === 0) continue;
    const blocks = [...m.content];
    const end = blocks.length - 1;
    blocks[end] = { ...(blocks[end] as RequestContentBlock), cache_control: cache };
    messages[i] = { role: m.role, content: blocks };
  }
  const { system, tools } = request;
  const out: Pick<MessagesRequest, 'system' | 'messages' | 'tools'> = { messages };
  if (tools) out.tools = tools;
  if (typeof system === 'string' && system !== '') out.system = [{ type: 'text', text: system, cache_control: cache }];
  else if (Array.isArray(system) && system.length > 0)
    out.system = system.map((b, i) => (i === system.length - 1 ? { ...b, cache_control: cache } : b));
  else {
    // No system prompt: the tools (which come first in the prompt) carry the stable breakpoint.
    if (system !== undefined) out.system = system;
    if (tools && tools.length > 0)
      out.tools = tools.map((t, i) => (i === tools.length - 1 ? { ...t, cache_control: cache } : t));
  }
  return out;
}
