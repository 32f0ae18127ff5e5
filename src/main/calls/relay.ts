/**
 * The raw path of a forwarded call (a Claude Code session's): one attempt's answer handed
 * to the caller byte for byte, with what it is billed for read on the way past.
 */
import { randomUUID } from 'node:crypto';
import { finished, Readable } from 'node:stream';
import type { ForwardSink, ForwardTiming } from './gateway-types.js';
import { SseMeter } from './stream-meter.js';
import type { Answered, StreamStart } from './usage.js';
import { emptyUsage, mergeUsage, ProviderError, type ForwardResponse, type Usage } from '../llm/provider.js';

export interface Relay {
  sink: ForwardSink;
  signal: AbortSignal | undefined;
  now: () => number;
  timing: ForwardTiming;
  /** Marks the attempt as seen by the caller. */
  deliver(): void;
  /** Told when a streamed answer's message_start passes, as its chunk is handed on. */
  started?: ((start: StreamStart) => void) | undefined;
}

/** What a body that broke while it was read is, for the attempt's row. */
function bodyFailure(
  error: unknown,
  relay: Relay,
  response: ForwardResponse,
  partialUsage: Usage | null,
): ProviderError {
  const aborted = relay.signal?.aborted === true;
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new ProviderError({
    kind: aborted ? 'aborted' : 'connection',
    message: aborted ? 'the request was aborted' : `the response body broke: ${cause}`,
    headers: response.headers,
    ...(response.requestId ? { requestId: response.requestId } : {}),
    ...(partialUsage ? { partialUsage } : {}),
  });
}

/**
 * A non-streaming answer: small, so it is read whole and handed on only once complete.
 * A body that breaks is then an attempt the caller never saw, retried like any other.
 */
export async function relayJson(response: ForwardResponse, relay: Relay): Promise<Answered & { requestId: string }> {
  const chunks: Uint8Array[] = [];
  const headAt = performance.now();
  try {
    for await (const chunk of response.body) chunks.push(chunk);
  } catch (error) {
    throw bodyFailure(error, relay, response, null);
  } finally {
    // A JSON answer is handed on whole, so its body is waited on too.
    relay.timing.upstreamMs += performance.now() - headAt;
  }
  const bytes = Buffer.concat(chunks);
  const reply = parseReply(bytes);
  relay.deliver();
  relay.sink.head(response.status, response.headers, relay.timing);
  await relay.sink.write(bytes);
  relay.sink.end();
  return {
    usage: mergeUsage(emptyUsage(), reply?.usage as Record<string, unknown> | undefined),
    headers: response.headers,
    requestId: response.requestId ?? `cr_${randomUUID()}`,
    messageId: typeof reply?.id === 'string' ? reply.id : null,
    modelResolved: typeof reply?.model === 'string' ? reply.model : null,
    firstTokenAt: null,
    stopReason: typeof reply?.stop_reason === 'string' ? reply.stop_reason : null,
    httpStatus: response.status,
  };
}

/** A JSON reply's billing fields; null when the body is not JSON (handed on as it is, billed as zero). */
function parseReply(
  bytes: Buffer,
): { id?: unknown; model?: unknown; stop_reason?: unknown; usage?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Calls `onChunk` with each chunk of `body` in order, waiting whenever it returns a
 * promise (the caller's back-pressure); resolves at the body's end, rejects when it
 * breaks. A Node stream (what the Anthropic provider hands on) is read by its events:
 * its async iterator costs a promise, a `readable` event and a generator step per chunk,
 * a few µs that a call of a few hundred chunks pays at every one. Anything else is
 * iterated.
 */
async function eachChunk(
  body: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<void> {
  if (!(body instanceof Readable)) {
    for await (const chunk of body) {
      const wait = onChunk(chunk);
      if (wait) await wait;
    }
    return;
  }
  const stream = body;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      stream.off('data', onData);
      stream.destroy();
      reject(error);
    };
    const onData = (chunk: Uint8Array): void => {
      let wait: void | Promise<void>;
      try {
        wait = onChunk(chunk);
      } catch (error) {
        return fail(error);
      }
      if (wait) {
        stream.pause();
        wait.then(() => {
          if (!failed) stream.resume();
        }, fail);
      }
    };
    stream.on('data', onData);
    // A cut or an abort ends in an error (or a close before the end); `finished` sees each.
    finished(stream, (error) => {
      if (error) fail(error);
      else if (!failed) resolve();
    });
  });
}

/**
 * A streaming answer: every chunk goes to the caller as it arrives, unchanged, and
 * through the meter. Once the status line is out the attempt is the caller's: a cut is
 * billed for what arrived and the caller sees a cut too (the sink is not ended); an
 * `event: error` reaches the caller as the API sent it.
 */
export async function relayStream(response: ForwardResponse, relay: Relay): Promise<Answered & { requestId: string }> {
  const { started } = relay;
  const meter = new SseMeter(
    relay.now,
    started &&
      ((seen) => started({ requestId: response.requestId, messageId: seen.messageId, model: seen.model, usage: seen.usage ?? emptyUsage() })),
  );
  relay.deliver();
  relay.sink.head(response.status, response.headers, relay.timing);
  let broken: { error: unknown } | undefined;
  try {
    await eachChunk(response.body, (chunk) => {
      meter.push(chunk);
      return relay.sink.write(chunk);
    });
    meter.end();
  } catch (error) {
    broken = { error };
  }
  const seen = meter.seen;
  const common = {
    headers: response.headers,
    ...(response.requestId ? { requestId: response.requestId } : {}),
    ...(seen.usage ? { partialUsage: seen.usage } : {}),
  };
  if (broken) throw bodyFailure(broken.error, relay, response, seen.usage);
  if (seen.error) {
    // The upstream ended its response cleanly after the error event, so the caller's does too.
    relay.sink.end();
    throw new ProviderError({
      kind: seen.error.type === 'overloaded_error' ? 'overloaded' : 'server',
      message: `Anthropic API stream ${seen.error.type}: ${seen.error.message}`,
      apiErrorType: seen.error.type,
      ...common,
    });
  }
  if (!seen.stopped || seen.usage === null) {
    throw new ProviderError({ kind: 'connection', message: 'the response stream ended before message_stop', ...common });
  }
  relay.sink.end();
  return {
    usage: seen.usage,
    headers: response.headers,
    requestId: response.requestId ?? `cr_${randomUUID()}`,
    messageId: seen.messageId,
    modelResolved: seen.model,
    firstTokenAt: seen.firstTokenAt,
    stopReason: seen.stopReason,
    httpStatus: response.status,
  };
}
