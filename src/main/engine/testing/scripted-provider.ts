import { randomUUID } from 'node:crypto';
import {
  emptyUsage,
  ProviderError,
  type MessagesRequest,
  type ModelProvider,
  type ProviderResult,
  type SendOptions,
  type Usage,
} from '../../llm/provider.js';

/** A tool call (or a text turn) a test wants a model to make. */
export type ScriptedTurn = { tool: string; input: Record<string, unknown> } | { text: string };

export interface ScriptedProviderOptions {
  /** Answers every request it does not script. */
  fallback: ModelProvider;
  /** Scripts a reply; undefined lets the fallback answer. */
  script?: (request: MessagesRequest, info: RequestInfo) => ScriptedTurn[] | undefined;
  /** Holds matching calls (after message_start) until they are aborted or released. */
  hold?: (request: MessagesRequest, info: RequestInfo) => boolean;
}

export interface RequestInfo {
  /** The agent's name, read from the engine's system prompt ("You are NAME, ..."). */
  agent: string;
  tools: string[];
  /** The first user message's text. */
  prompt: string;
}

/**
 * A provider for engine tests: scripted replies and held calls for chosen agents, the
 * simulated provider for everything else. Held calls bill input as soon as they start,
 * so an abort leaves partial usage for the gateway to record, as the real API would.
 */
export class ScriptedProvider implements ModelProvider {
  readonly held: { request: MessagesRequest; release: () => void }[] = [];
  private readonly options: ScriptedProviderOptions;

  constructor(options: ScriptedProviderOptions) {
    this.options = options;
  }

  async send(request: MessagesRequest, options: SendOptions = {}): Promise<ProviderResult> {
    const info = describe(request);
    const usage: Usage = { ...emptyUsage(), input_tokens: Math.ceil(JSON.stringify(request.messages).length / 4), output_tokens: 1 };
    const requestId = `req_scripted_${randomUUID()}`;
    const messageId = `msg_scripted_${randomUUID()}`;
    if (this.options.hold?.(request, info)) {
      options.onEvent?.({ type: 'message_start', messageId, requestId, usage });
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(new ProviderError({ kind: 'aborted', message: 'aborted', partialUsage: { ...usage, output_tokens: 7 }, requestId }));
        if (options.signal?.aborted) abort();
        options.signal?.addEventListener('abort', abort, { once: true });
        this.held.push({ request, release: resolve });
      });
    }
    const turns = this.options.script?.(request, info);
    if (!turns) return this.options.fallback.send(request, options);
    if (!this.options.hold?.(request, info)) options.onEvent?.({ type: 'message_start', messageId, requestId, usage });
    const content = turns.map((t) =>
      'tool' in t ? { type: 'tool_use' as const, id: `toolu_${randomUUID().slice(0, 12)}`, name: t.tool, input: t.input } : { type: 'text' as const, text: t.text },
    );
    const now = Date.now();
    return {
      message: { id: messageId, model: request.model, role: 'assistant', content },
      stop_reason: content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { ...usage, output_tokens: 20 },
      requestId,
      messageId,
      headers: {},
      timing: { startedAt: now, firstTokenAt: now, endedAt: now },
    };
  }
}

function describe(request: MessagesRequest): RequestInfo {
  const system = typeof request.system === 'string' ? request.system : (request.system ?? []).map((b) => b.text).join('\n');
  const first = request.messages[0];
  const prompt = !first ? '' : typeof first.content === 'string' ? first.content : first.content.map((b) => (b.type === 'text' ? b.text : '')).join('\n');
  return {
    agent: /You are ([^,]+),/.exec(system)?.[1] ?? '',
    tools: (request.tools ?? []).map((t) => t.name),
    prompt,
  };
}
