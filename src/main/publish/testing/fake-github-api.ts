import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received, as a test asserts on it. */
export interface FakeGithubRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  apiVersion: string | undefined;
  body: unknown;
}

interface FakePull {
  number: number;
  html_url: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

export interface FakeGithubApi {
  /** The base URL to give as `githubApiUrl` (http://127.0.0.1:PORT). */
  url: string;
  requests: FakeGithubRequest[];
  /** Pull requests opened, per "owner/repo". */
  pulls: Map<string, FakePull[]>;
  /** Answers every request with this status and body from now on (e.g. 403), or stops with null. */
  failWith(status: number | null, body?: unknown): void;
  close(): Promise<void>;
}

/**
 * A loopback fake of the GitHub REST endpoints pull requests use: `POST
 * /repos/{owner}/{repo}/pulls` (201; 401 without the expected Bearer token; 404 for a
 * repository it does not know; 422 when one is open for the head already, as GitHub words
 * it) and `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`. Listens on
 * 127.0.0.1 only; tests never reach the real service.
 */
export async function startFakeGithubApi(options: { token: string; repos: string[] }): Promise<FakeGithubApi> {
  const requests: FakeGithubRequest[] = [];
  const pulls = new Map<string, FakePull[]>(options.repos.map((r) => [r, []]));
  let forced: { status: number; body: unknown } | null = null;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await readAll(req);
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: req.method ?? '',
        path: `${url.pathname}${url.search}`,
        authorization: req.headers.authorization,
        apiVersion: req.headers['x-github-api-version'] as string | undefined,
        body,
      });
      const send = (status: number, answer: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      if (forced) return send(forced.status, forced.body);
      if (req.headers.authorization !== `Bearer ${options.token}`) {
        return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      }
      const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
      const key = match ? `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}` : '';
      const list = pulls.get(key);
      if (!match || !list) return send(404, { message: 'Not Found' });
      if (req.method === 'GET') {
        const head = url.searchParams.get('head') ?? '';
        const branch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
        return send(200, list.filter((p) => p.head === branch));
      }
      if (req.method !== 'POST') return send(405, { message: 'Method Not Allowed' });
      const pr = body as { title?: unknown; head?: unknown; base?: unknown; body?: unknown; draft?: unknown } | null;
      if (typeof pr?.title !== 'string' || typeof pr.head !== 'string' || typeof pr.base !== 'string') {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }] });
      }
      if (list.some((p) => p.head === pr.head)) {
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${key.split('/')[0]}:${pr.head}.` }],
        });
      }
      const number = list.length + 1;
      const pull: FakePull = {
        number,
        html_url: `https://github.com/${key}/pull/${number}`,
        head: pr.head,
        base: pr.base,
        title: pr.title,
        body: typeof pr.body === 'string' ? pr.body : '',
        draft: pr.draft === true,
      };
      list.push(pull);
      return send(201, { ...pull, state: 'open' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    pulls,
    failWith(status, body = { message: 'Forbidden' }) {
      forced = status === null ? null : { status, body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
