import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { EventEnvelope } from '../../shared/contract.js';
import type { ProviderId } from '../../shared/contract/app.js';
import type { EscalationView } from '../../shared/mission.js';
import { formatUsd, usdToNano } from '../../shared/money.js';
import { AppError } from '../../shared/result.js';
import { parseTeamFile } from '../../shared/team-file.js';
import { selectProvider } from '../app/backend.js';
import { createEngineServices } from '../app/engine-services.js';
import { openLedger } from '../ledger/database.js';
import { TeamRepository } from '../ledger/team-repository.js';
import { openUserSecretStore } from '../settings/index.js';
import { DATABASE_FILE, defaultDataDir } from '../app/paths.js';
import { stringOption, UsageError, type OptionSpecs, type ParsedArgs } from './args.js';
import { askBrief, briefLines, briefReady } from './run-director.js';
import type { CliIo } from './cli-io.js';

/** The options of `control-room run`, as its help shows them. */
export const RUN_OPTIONS = {
  team: { type: 'string', valueName: 'FILE', description: 'The team design file (.team.json)' },
  goal: { type: 'string', valueName: 'TEXT', description: 'What the mission must achieve' },
  workspace: { type: 'string', valueName: 'DIR', description: 'The git repository to work on' },
  base: { type: 'string', valueName: 'BRANCH', description: 'The branch to start from and merge into (default: main)' },
  db: { type: 'string', valueName: 'FILE', description: 'The ledger (default: the app\'s); worktrees go beside it' },
  provider: { type: 'string', valueName: 'NAME', description: 'simulated or anthropic (default: anthropic when ANTHROPIC_API_KEY is set)' },
  budget: { type: 'string', valueName: 'USD', description: 'The mission\'s budget cap in dollars' },
  'auto-approve': { type: 'boolean', description: 'Approve every escalation instead of asking on stdin' },
  director: { type: 'boolean', description: "Ask the director to draft each team's share first (approve it, or send it back with a comment, on stdin)" },
  json: { type: 'boolean', description: 'Print every event as a JSON line' },
} as const satisfies OptionSpecs;

/** What `run` needs beyond the usual CLI io: where answers to escalations come from. */
export type RunIo = CliIo & { stdin?: Readable };

/**
 * `control-room run`: runs one mission headless from a team file. Streams progress (a
 * line per event, or JSON lines), asks the person on stdin for every escalation unless
 * `--auto-approve`, prints the cost per agent, and answers 0 when the mission is done
 * (merged or with the final merge declined), 1 otherwise.
 */
export async function runMissionCommand(args: ParsedArgs, io: RunIo): Promise<number> {
  const teamFile = stringOption(args, 'team');
  const goal = stringOption(args, 'goal');
  const workspace = stringOption(args, 'workspace');
  if (!teamFile) throw new UsageError('--team FILE is required');
  if (!goal) throw new UsageError('--goal TEXT is required');
  if (!workspace) throw new UsageError('--workspace DIR is required');
  const providerOption = stringOption(args, 'provider');
  if (providerOption !== undefined && providerOption !== 'simulated' && providerOption !== 'anthropic') {
    throw new UsageError(`--provider must be simulated or anthropic, not '${providerOption}'`);
  }
  const provider: ProviderId = (providerOption as ProviderId | undefined) ?? selectProvider(io.env).id;
  const budgetText = stringOption(args, 'budget');
  const budgetUsd = budgetText === undefined ? undefined : Number(budgetText);
  if (budgetUsd !== undefined && !(Number.isFinite(budgetUsd) && budgetUsd >= 0)) {
    throw new UsageError(`--budget must be a number of dollars, not '${budgetText}'`);
  }
  const json = args.values.json === true;
  const autoApprove = args.values['auto-approve'] === true;
  const dbPath = resolve(stringOption(args, 'db') ?? join(defaultDataDir(process.platform, io.env), DATABASE_FILE));

  let text: string;
  try {
    text = readFileSync(resolve(teamFile), 'utf8');
  } catch (error) {
    throw new Error(`cannot read the team file "${teamFile}": ${(error as Error).message}`);
  }
  const parsed = parseTeamFile(text);
  if (!parsed.ok) throw new Error(`${teamFile}: ${parsed.message}`);

  // A key saved in Settings (the keychain, else the key file beside the ledger) serves `--provider anthropic`.
  const { store: secrets } = await openUserSecretStore({ dataDir: dirname(dbPath), env: io.env });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const ledger = openLedger(dbPath);
  const printEvent = (event: EventEnvelope) => {
    if (json) {
      out(JSON.stringify({ event: event.name, ...(event.payload as object) }));
      return;
    }
    const line = describeEvent(event);
    if (line) out(line);
  };
  const services = createEngineServices({
    db: ledger.db,
    dataDir: dirname(dbPath),
    provider,
    env: io.env,
    secrets,
    // Scales the simulation's latency (0 = instant) for scripts and tests.
    latencyScale: Number(io.env.CONTROL_ROOM_SIM_LATENCY ?? 1) || 0,
    events: { emit: (name, payload) => printEvent({ name, payload } as EventEnvelope) },
    logError: (what, error) => io.stderr.write(`[control-room] ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  const { engine } = services;
  const lines = autoApprove ? undefined : createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  const answers = lines?.[Symbol.asyncIterator]();
  try {
    const design = new TeamRepository(ledger.db).save({ ...parsed.draft, id: undefined, expectedRevision: undefined });
    const mission = engine.create({
      designId: design.id,
      goal,
      repoPath: resolve(workspace),
      baseBranch: stringOption(args, 'base') ?? 'main',
      skipPlanApproval: false,
      allowedCommands: [],
      copyFiles: [],
      ...(budgetUsd === undefined ? {} : { budgetNanoUsd: usdToNano(budgetUsd) }),
      ...(args.values.director === true ? { director: true } : {}),
    });
    if (!json) out(`Mission ${mission.id}: ${mission.name} (provider: ${provider}, ledger: ${dbPath})`);
    await engine.start(mission.id);

    for (;;) {
      if (io.signal?.aborted) {
        out('Interrupted: the mission is paused; resume it in the app.');
        return 1;
      }
      const m = engine.get(mission.id).mission;
      if (m.state === 'done' || m.state === 'failed' || m.state === 'cancelled') break;
      const open = engine.escalations(mission.id, true).filter((e) => e.level === 'human');
      for (const e of open) {
        // The director's draft is answered once it is written; until then the mission waits.
        if (e.type === 'mission_brief' && !briefReady(e)) continue;
        if (e.type === 'mission_brief' && autoApprove && !json) for (const line of briefLines(e)) out(line);
        const answer = autoApprove
          ? { decision: 'approve' as const, comment: '', alwaysAllow: false }
          : e.type === 'mission_brief'
            ? await askBrief(e, out, answers)
            : await ask(e, out, answers);
        if (!answer) {
          out('stdin closed: the mission is paused; resume it in the app.');
          engine.pause(mission.id);
          return 1;
        }
        await engine.decide({ id: e.id, ...answer });
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    const final = engine.get(mission.id);
    const agents = engine.agents(mission.id);
    const total = agents.reduce((n, a) => n + a.costNanoUsd, 0);
    if (json) {
      out(JSON.stringify({ event: 'summary', mission: final.mission, agents, totalNanoUsd: total }));
    } else {
      out('');
      out(`Mission ${final.mission.state}: ${final.mission.outcome ?? ''}`);
      out('Cost per agent:');
      for (const a of agents) {
        out(`  ${a.name.padEnd(20)} ${a.role.padEnd(8)} in ${String(a.inputTokens).padStart(9)}  out ${String(a.outputTokens).padStart(8)}  ${formatUsd(a.costNanoUsd)}`);
      }
      out(`  ${'total'.padEnd(29)} ${formatUsd(total)}`);
    }
    return final.mission.state === 'done' ? 0 : 1;
  } catch (error) {
    if (error instanceof AppError) throw new Error(error.message);
    throw error;
  } finally {
    lines?.close();
    services.close();
    ledger.close();
  }
}

async function ask(
  e: EscalationView,
  out: (line: string) => void,
  answers: AsyncIterator<string> | undefined,
): Promise<{ decision: 'approve' | 'deny' | 'reply'; comment: string; alwaysAllow: boolean } | undefined> {
  out(`\n? [${e.type}] ${e.title}\n  ${e.detail.split('\n').join('\n  ')}`);
  for (;;) {
    out(`  answer: a(pprove)${e.type === 'permission' ? ' | always' : ''} | d(eny) [comment] | r(eply) TEXT`);
    const next = await answers?.next();
    if (!next || next.done) return undefined;
    const [word = '', ...rest] = next.value.trim().split(/\s+/);
    const comment = rest.join(' ');
    const w = word.toLowerCase();
    if (w === 'a' || w === 'approve' || w === 'y' || w === 'yes') return { decision: 'approve', comment, alwaysAllow: false };
    if (w === 'always' && e.type === 'permission') return { decision: 'approve', comment, alwaysAllow: true };
    if (w === 'd' || w === 'deny' || w === 'n' || w === 'no') return { decision: 'deny', comment, alwaysAllow: false };
    if ((w === 'r' || w === 'reply') && comment !== '') return { decision: 'reply', comment, alwaysAllow: false };
  }
}

/** One human-readable line per event worth a line; agents only when something notable happens. */
function describeEvent(event: EventEnvelope): string | null {
  switch (event.name) {
    case 'missions:changed': {
      const p = event.payload as EventEnvelope<'missions:changed'>['payload'];
      return `mission  ${p.state}${p.outcome ? ` (${p.outcome})` : ''}`;
    }
    case 'tasks:changed': {
      const p = event.payload as EventEnvelope<'tasks:changed'>['payload'];
      return `task     ${p.teamId}/${p.key} ${p.state}${p.assignee ? ` by ${p.assignee}` : ''}: ${p.title}`;
    }
    case 'agents:changed': {
      const p = event.payload as EventEnvelope<'agents:changed'>['payload'];
      if (!['done', 'killed', 'failed', 'waiting_escalation'].includes(p.state)) return null;
      return `agent    ${p.name} ${p.state}${p.stateReason ? ` (${p.stateReason})` : ''}  ${formatUsd(p.costNanoUsd)}`;
    }
    case 'escalations:changed': {
      const p = event.payload as EventEnvelope<'escalations:changed'>['payload'];
      return `escalate ${p.type} ${p.state}${p.decision ? ` ${p.decision} by ${p.decidedBy ?? '?'}` : ` -> ${p.level}`}: ${p.title}`;
    }
    default:
      return null;
  }
}
