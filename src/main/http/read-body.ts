import type { IncomingMessage } from 'node:http';

/** A request body longer than the reader's limit; the rest of it was drained, so an answer can still be sent. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
  constructor(readonly limit: number) {
    super(`the request body exceeds ${limit} bytes`);
  }
}

/**
 * Reads a request's whole body, refusing with {@link BodyTooLarge} past `limit` bytes, by
 * its declared length or as it arrives. A refused body is drained rather than destroyed:
 * destroying the request would take the socket, and the caller's 413 with it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
