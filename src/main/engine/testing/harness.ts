import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '../../../shared/contract.js';
import type { EscalationView } from '../../../shared/mission.js';
import type { AgentSpec, TeamDesign, TeamSpec } from '../../../shared/team.js';
import { BudgetGuard, ledgerSpendSource } from '../../ledger/budgets.js';
import { CallsRepository, type CallRecord } from '../../ledger/calls-repository.js';
import { openLedger, type Ledger } from '../../ledger/database.js';
import { defaultPricer } from '../../ledger/pricing.js';
import { TeamRepository } from '../../ledger/team-repository.js';
import { RateLimiter, type RateLimiterOptions } from '../../limiter/index.js';
import { createGateway } from '../../calls/gateway.js';
import type { ModelGateway } from '../../calls/gateway-types.js';
import type { ModelProvider } from '../../llm/provider.js';
import { AgentSessionsRepository } from '../../ledger/agent-sessions.js';
import { startGatewayServer, type GatewayServer } from '../../calls/gateway-server.js';
import { MissionEngine, type MissionEngineOptions } from '../mission-engine.js';
import type { ClaudeCodeEnvironment } from '../runtimes/claude-code.js';
import { resolveClaudeCodeBinary } from '../runtimes/claude-code-probe.js';

/**
 * Everything an engine test needs: a real git repository with one commit, a ledger in
 * a temp file, the real gateway (limiter, budgets, calls ledger) over the given provider.
 */
export interface Harness {
  dir: string;
  repo: string;
  dbPath: string;
  ledger: Ledger;
  engine: MissionEngine;
  budgets: BudgetGuard;
  gateway: ModelGateway;
  events: EventEnvelope[];
  errors: { what: string; error: unknown }[];
  /** Opens a second engine on the same database file (after a simulated crash). */
  reopen(provider: ModelProvider, options?: Partial<MissionEngineOptions>): void;
  cleanup(): Promise<void>;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A repository with a package.json (ES modules, node:test) and a README on `main`. */
export function makeRepo(dir: string): string {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Test Person');
  git(repo, 'config', 'user.email', 'person@example.com');
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'demo', type: 'module', private: true }, null, 2) + '\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial');
  return repo;
}

const agent = (id: string, role: AgentSpec['role'], extra: Partial<AgentSpec> = {}): AgentSpec => ({
  id,
  name: id,
  role,
  model: role === 'leader' ? 'claude-opus-4-8' : 'claude-sonnet-4-6',
  budgetNanoUsd: null,
  systemPrompt: '',
  permissions: { allowedCommands: [], writeScope: [] },
  idleTimeoutSec: null,
  ...extra,
});

/** Saves a design with `teams` teams, each a leader and `coders` coders (`<team>-lead`, `<team>-c1`, …). */
export function saveDesign(
  ledger: Ledger,
  teams: {
    id: string;
    coders: number;
    coderExtra?: Partial<AgentSpec>;
    /** Per coder (by index), instead of `coderExtra`: a team of mixed runtimes. */
    coderExtras?: readonly (Partial<AgentSpec> | undefined)[];
    leaderExtra?: Partial<AgentSpec>;
    reviewers?: number;
    researchers?: number;
    /** The team's brief (focus, owned paths) and the teams it starts after. */
    brief?: TeamSpec['brief'];
    after?: string[];
  }[],
): TeamDesign {
  return new TeamRepository(ledger.db).save({
    name: 'Test design',
    description: '',
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    teams: teams.map((t, i) => ({
      id: t.id,
      name: t.id,
      budgetNanoUsd: null,
      position: { x: i * 100, y: 0 },
      ...(t.brief ? { brief: t.brief } : {}),
      ...(t.after ? { after: t.after } : {}),
      agents: [
        agent(`${t.id}-lead`, 'leader', t.leaderExtra),
        ...Array.from({ length: t.coders }, (_, c) => agent(`${t.id}-c${c + 1}`, 'coder', t.coderExtras ? t.coderExtras[c] : t.coderExtra)),
        ...Array.from({ length: t.reviewers ?? 0 }, (_, r) => agent(`${t.id}-rev${r + 1}`, 'reviewer', { model: 'claude-sonnet-4-6' })),
        ...Array.from({ length: t.researchers ?? 0 }, (_, r) => agent(`${t.id}-res${r + 1}`, 'researcher', { model: 'claude-haiku-4-5' })),
      ],
    })),
  });
}

export interface HarnessHooks {
  /** Passed to the gateway: told after each attempt's ledger row is committed. */
  onCallRecorded?: (record: CallRecord) => void;
  /**
   * Gives the engine the Claude Code runtime, as the app does: the real binary of the
   * SDK's platform package, a loopback gateway server over the harness's gateway
   * (started when the first session needs it) and a config folder in the test's dir.
   */
  claudeCode?: boolean;
  /** Claude Code's binary instead of the SDK's platform package (null: none), to test one that cannot start. */
  claudeCodeBinary?: string | null;
  /** The limiter's retry policy and breaker, to test failing calls without waiting out the real back-off. */
  limiter?: Pick<RateLimiterOptions, 'retry' | 'breaker'>;
}

export function createHarness(
  provider: ModelProvider,
  options: Partial<MissionEngineOptions> = {},
  hooks: HarnessHooks = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'cr-engine-'));
  const repo = makeRepo(dir);
  const dbPath = join(dir, 'data', 'ledger.db');
  const events: EventEnvelope[] = [];
  const errors: { what: string; error: unknown }[] = [];
  const servers: Array<Promise<GatewayServer>> = [];
  const build = (p: ModelProvider, extra: Partial<MissionEngineOptions>, onRecorded?: HarnessHooks['onCallRecorded']) => {
    // As the app opens it (backend.ts): one transaction per event-loop turn, appends queued to its end.
    const ledger = openLedger(dbPath, {
      groupCommit: true,
      onGroupCommitError: (error) => errors.push({ what: 'group commit', error }),
    });
    const pricer = defaultPricer();
    const budgets = new BudgetGuard({ spend: ledgerSpendSource(ledger.db), pricer });
    const limiter = new RateLimiter({
      pools: {
        opus: { rpm: 100_000, itpm: 100_000_000, otpm: 10_000_000 },
        sonnet: { rpm: 100_000, itpm: 100_000_000, otpm: 10_000_000 },
        haiku: { rpm: 100_000, itpm: 100_000_000, otpm: 10_000_000 },
      },
      rampStartFraction: 1,
      maxInFlightPerAgent: 4,
      ...hooks.limiter,
    });
    const gateway = createGateway({
      provider: p,
      limiter,
      budgets,
      calls: new CallsRepository(ledger.db, pricer),
      ...(onRecorded ? { onRecorded } : {}),
    });
    let server: Promise<GatewayServer> | undefined;
    const claudeCode: ClaudeCodeEnvironment | undefined = hooks.claudeCode
      ? {
          gateway: () => {
            if (!server) {
              server = startGatewayServer({ gateway });
              servers.push(server);
            }
            return server;
          },
          binaryPath: hooks.claudeCodeBinary === undefined ? resolveClaudeCodeBinary() : hooks.claudeCodeBinary,
          unavailable: () => null,
          configDir: join(dir, 'claude-code'),
          sessions: new AgentSessionsRepository(ledger.db),
        }
      : undefined;
    const engine = new MissionEngine({
      db: ledger.db,
      gateway,
      budgets,
      ...(claudeCode ? { claudeCode } : {}),
      worktreesDir: join(dir, 'worktrees'),
      events: { emit: (name, payload) => events.push({ name, payload } as EventEnvelope) },
      reaperIntervalMs: 0,
      commandTimeoutMs: 60_000,
      logError: (what, error) => errors.push({ what, error }),
      ...options,
      ...extra,
    });
    return { ledger, engine, budgets, gateway };
  };
  const h: Harness = {
    dir,
    repo,
    dbPath,
    events,
    errors,
    ...build(provider, {}, hooks.onCallRecorded),
    reopen(p, extra = {}) {
      Object.assign(h, build(p, extra));
    },
    cleanup() {
      try {
        h.engine.close();
      } catch {
        // The ledger may already be closed by a crash test.
      }
      const remove = (): void => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      // Synchronous unless a gateway server was started: most tests never await cleanup.
      if (servers.length === 0) {
        h.ledger.close();
        remove();
        return Promise.resolve();
      }
      return Promise.all(servers.map(async (server) => (await server).close())).then(async () => {
        h.ledger.close();
        // A gateway means Claude Code sessions, whose processes may still be writing their
        // session files as they exit (seen on a loaded CI machine outlasting rmSync's own ~5 s
        // of retries): a busy or non-empty folder is tried again, every 500 ms for 20 s.
        for (let waited = 0; ; waited += 500) {
          try {
            return rmSync(dir, { recursive: true, force: true });
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? '';
            if (waited >= 20_000 || !['ENOTEMPTY', 'EBUSY', 'EPERM'].includes(code)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      });
    },
  };
  return h;
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Drives a mission to a final state, answering every human escalation with `answer`
 * (approve by default). Returns the escalations it decided, in order.
 */
export async function driveToEnd(
  h: Harness,
  missionId: string,
  answer: (e: EscalationView) => { decision: 'approve' | 'deny' | 'reply'; comment?: string; alwaysAllow?: boolean } = () => ({ decision: 'approve' }),
  timeoutMs = 60_000,
): Promise<EscalationView[]> {
  const decided: EscalationView[] = [];
  const start = Date.now();
  for (;;) {
    const state = h.engine.get(missionId).mission.state;
    if (state === 'done' || state === 'failed' || state === 'cancelled') return decided;
    const open = h.engine.escalations(missionId, true).filter((e) => e.level === 'human');
    for (const e of open) {
      const a = answer(e);
      decided.push(await h.engine.decide({ id: e.id, decision: a.decision, comment: a.comment ?? '', alwaysAllow: a.alwaysAllow ?? false }));
    }
    if (Date.now() - start > timeoutMs) {
      const detail = h.engine.get(missionId);
      throw new Error(
        `mission still ${state} after ${timeoutMs} ms: ` +
          JSON.stringify({
            agents: detail.agents.map((a) => [a.id, a.state, a.stateReason]),
            tasks: detail.tasks.map((t) => [t.key, t.state, t.assignee]),
            escalations: detail.escalations.map((e) => [e.type, e.level, e.state]),
            errors: h.errors.map((e) => `${e.what}: ${String(e.error)}`),
          }),
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
