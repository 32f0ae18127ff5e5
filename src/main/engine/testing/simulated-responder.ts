import type { FakeReplyBlock, FakeResponder } from '../../llm/testing/fake-messages-api.js';
import type { MessagesRequest } from '../../llm/provider.js';
import { SimulatedProvider, type SimulatedProviderOptions } from '../../llm/simulated-provider.js';

/**
 * Test support: the loopback fake Messages API played by the simulated provider, so an
 * engine test can run a whole mission over the real @anthropic-ai/sdk (its HTTP, SSE
 * parsing, tool input JSON) with the simulated roles deciding what each reply says. The
 * fake sees only the request, as the real API would. `requests` collects every request
 * body, for tests that check what agents were told.
 */
export function simulatedResponder(options: SimulatedProviderOptions = {}): { responder: FakeResponder; requests: MessagesRequest[] } {
  const provider = new SimulatedProvider({ latencyScale: 0, ...options });
  const requests: MessagesRequest[] = [];
  const responder: FakeResponder = async ({ body }) => {
    const { stream: _stream, ...request } = body;
    requests.push(request);
    const result = await provider.send(request);
    const content: FakeReplyBlock[] = [];
    for (const block of result.message.content) {
      if (block.type === 'text') content.push({ type: 'text', text: block.text });
      else if (block.type === 'tool_use') content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
    }
    return { content, stopReason: result.stop_reason ?? 'end_turn' };
  };
  return { responder, requests };
}
