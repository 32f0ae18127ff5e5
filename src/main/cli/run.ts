import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { EventEnvelope } from '../../shared/contract.js';
import type { ProviderId } from '../../shared/contract/app.js';
import type { EscalationView } from '../../shared/mission.js';
import { resultLabel } from '../../shared/mission-result.js';
import { formatUsd } from '../../shared/money.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { remoteNameSchema } from '../../shared/contract/pull-requests.js';
import { parseTeamFile } from '../../shared/team-file.js';
import { selectProvider } from '../app/backend.js';
import { createEngineServices } from '../app/engine-services.js';
import type { MissionEngine } from '../engine/mission-engine.js';
import { openLedger } from '../ledger/database.js';
import { MissionStore } from '../ledger/mission-repository.js';
import type { MissionRecord } from '../ledger/mission-tables.js';
import { TeamRepository, type ValidTeamDesignDraft } from '../ledger/team-repository.js';
import { openUserSecretStore } from '../settings/index.js';
import { stringOption, UsageError, type OptionSpecs, type ParsedArgs } from './args.js';
import { ledgerPath, pickResumable, progressText } from './missions-command.js';
import { validateRunRequest, type PendingMissionRequest } from './run-request.js';
import { askBrief, briefLines, briefReady } from './run-director.js';
import { autoAnswer, cannotGoOn, cannotGoOnLine } from './run-auto-answer.js';
import type { CliIo } from './cli-io.js';
import { resultLines } from './result-text.js';

/** The options of `control-room run`, as its help shows them. */
export const RUN_OPTIONS = {
  team: { type: 'string', valueName: 'FILE', description: 'The team design file (.team.json)' },
  goal: { type: 'string', valueName: 'TEXT', description: 'What the mission must achieve (at most 20,000 characters)' },
  workspace: { type: 'string', valueName: 'DIR', description: 'The git repository to work on' },
  base: { type: 'string', valueName: 'BRANCH', description: 'The branch to start from and merge into (default: the branch checked out in the workspace)' },
  db: { type: 'string', valueName: 'FILE', description: 'The ledger (default: the app\'s); worktrees go beside it' },
  provider: { type: 'string', valueName: 'NAME', description: 'simulated or anthropic (default: anthropic when ANTHROPIC_API_KEY is set)' },
  budget: { type: 'string', valueName: 'USD', description: 'The mission\'s budget cap in dollars (at most 1,000,000)' },
  resume: {
    type: 'boolean',
    description: 'Continue a paused or unfinished mission of the ledger instead of starting one: MISSION (an id from "control-room missions"), or the most recent',
  },
  'auto-approve': { type: 'boolean', description: 'Approve every escalation instead of asking on stdin' },
  director: { type: 'boolean', description: "Ask the director to draft each team's share first (approve it, or send it back with a comment, on stdin)" },
  json: { type: 'boolean', description: 'Print every event as a JSON line' },
  'pull-request': {
    type: 'string',
    valueName: 'REMOTE',
    description: 'End with a pull request instead of a local merge: push the mission branch to REMOTE (e.g. origin) and open one on GitHub (the token from Settings > GitHub, else a logged-in gh)',
  },
} as const satisfies OptionSpecs;

/** What a resumed mission keeps from its creation: these describe a new mission only. */
const NEW_MISSION_OPTIONS = ['team', 'goal', 'workspace', 'base', 'budget', 'director'] as const;

/** What `run` needs beyond the usual CLI io: where answers to escalations come from. */
export type RunIo = CliIo & { stdin?: Readable };

/** A new mission, checked through and ready to be written: its design and its request. */
interface NewMission {
  draft: ValidTeamDesignDraft;
  request: PendingMissionRequest;
}

/**
 * `control-room run`: runs one mission headless from a team file, or with `--resume`
 * continues one the ledger holds (after a crash, a Ctrl+C or a closed stdin) exactly as
 * the app's Resume does. Streams progress (a line per event, or JSON lines), asks the
 * person on stdin for every escalation unless `--auto-approve` (those still open from
 * before are asked again), prints the cost per agent, removes the mission's worktrees once
 * it is merged, and answers 0 when the mission is done (merged or with the final merge
 * declined), 1 otherwise. A new mission's options are checked through the contract's
 * schemas before anything is written, so a refused run leaves no row behind.
 */
export async function runMissionCommand(args: ParsedArgs, io: RunIo): Promise<number> {
  const resume = args.values.resume === true;
  const requestedId = args.positionals[0];
  if (!resume && requestedId !== undefined) throw new UsageError(`unexpected argument ${quote(requestedId)} (a mission id goes after --resume)`);
  const providerOption = stringOption(args, 'provider');
  if (providerOption !== undefined && providerOption !== 'simulated' && providerOption !== 'anthropic') {
    throw new UsageError(`--provider must be simulated or anthropic, not ${quote(providerOption)}`);
  }
  const provider: ProviderId = (providerOption as ProviderId | undefined) ?? selectProvider(io.env).id;
  const json = args.values.json === true;
  const autoApprove = args.values['auto-approve'] === true;
  const dbPath = ledgerPath(args, io);
  const pullRequestRemote = stringOption(args, 'pull-request');
  if (pullRequestRemote !== undefined) {
    const checked = remoteNameSchema.safeParse(pullRequestRemote);
    if (!checked.success) throw new UsageError(`--pull-request ${checked.error.issues[0]?.message ?? 'must name a git remote'}`);
  }

  let fresh: NewMission | undefined;
  if (resume) {
    const given = NEW_MISSION_OPTIONS.find((name) => args.values[name] !== undefined);
    if (given) throw new UsageError(`--${given} cannot be given with --resume: a resumed mission keeps the design, goal, workspace and budget it was created with`);
    // Opening would create an empty ledger, in which there is nothing to resume.
    if (!existsSync(dbPath)) throw new Error(`no ledger at ${quote(dbPath, 200)}; give the one the mission ran in with --db FILE`);
  } else {
    fresh = await prepareNewMission(args);
  }

  // A key saved in Settings (the keychain, else the key file beside the ledger) serves `--provider anthropic`.
  const { store: secrets } = await openUserSecretStore({ dataDir: dirname(dbPath), env: io.env });
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const ledger = openLedger(dbPath);
  let resumed: MissionRecord | undefined;
  try {
    // Chosen before the engine opens the ledger: its start-up pauses what a crash left working.
    if (resume) resumed = pickResumable(new MissionStore(ledger.db), requestedId, dbPath);
  } catch (error) {
    ledger.close();
    throw error;
  }
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
    let missionId: string;
    if (resumed) {
      missionId = resumed.id;
      const now = engine.get(missionId).mission;
      if (json) out(JSON.stringify({ event: 'resuming', mission: now }));
      else out(`Resuming mission ${now.id}: ${safeMessage(now.name, 120)} (${now.state}, ${progressText(now)}, ${formatUsd(now.spentNanoUsd)} spent; provider: ${provider}, ledger: ${dbPath})`);
      await continueMission(engine, missionId);
    } else {
      const { draft, request } = fresh as NewMission;
      // One transaction: should the engine still refuse the request, no design row stays behind.
      const mission = ledger.db.transaction(() => {
        const design = new TeamRepository(ledger.db).save({ ...draft, id: undefined, expectedRevision: undefined });
        return engine.create({ ...request, designId: design.id });
      })();
      missionId = mission.id;
      if (!json) out(`Mission ${mission.id}: ${mission.name} (provider: ${provider}, ledger: ${dbPath})`);
      await engine.start(mission.id);
    }
    const resumeHint = `resume it with "control-room run --resume ${missionId}${stringOption(args, 'db') === undefined ? '' : ` --db ${dbPath}`}"`;

    for (;;) {
      if (io.signal?.aborted) {
        out(`Interrupted: the mission is paused; ${resumeHint}.`);
        return 1;
      }
      const m = engine.get(missionId).mission;
      if (m.state === 'done' || m.state === 'failed' || m.state === 'cancelled') break;
      const open = engine.escalations(missionId, true).filter((e) => e.level === 'human');
      for (const e of open) {
        // The director's draft is answered once it is written; until then the mission waits.
        if (e.type === 'mission_brief' && !briefReady(e)) continue;
        if (e.type === 'mission_brief' && autoApprove && !json) for (const line of briefLines(e)) out(line);
        if (autoApprove && cannotGoOn(e) && !json) out(cannotGoOnLine(e));
        if (e.type === 'final_merge' && pullRequestRemote !== undefined) {
          // `--pull-request`: the final merge is answered by a pull request, never merged here.
          try {
            const pr = await services.pullRequests.open({ missionId, remote: pullRequestRemote, draft: false });
            out(json ? JSON.stringify({ event: 'pull-request', ...pr }) : `Pull request #${pr.number} opened: ${pr.url}`);
          } catch (error) {
            // Nothing was merged or recorded: the final merge still waits for the next try.
            out(`Could not open the pull request: ${error instanceof Error ? error.message : String(error)}; the final merge still waits; ${resumeHint}.`);
            return 1;
          }
          continue;
        }
        const answer = autoApprove
          ? autoAnswer(e)
          : e.type === 'mission_brief'
            ? await askBrief(e, out, answers)
            : await ask(e, out, answers);
        if (!answer) {
          out(`stdin closed: the mission is paused; ${resumeHint}.`);
          engine.pause(missionId);
          return 1;
        }
        await engine.decide({ id: e.id, ...answer });
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    const final = engine.get(missionId);
    const agents = engine.agents(missionId);
    const total = agents.reduce((n, a) => n + a.costNanoUsd, 0);
    // Ended (merged, declined, failed or cancelled), the mission lost its worktrees and its team
    // and coder branches (unless kept) in the engine; wait for that before saying so.
    await engine.branchesSettled();
    const kept = final.mission.missionBranch;
    // The mission's result, as missions:get-result answers it: the last line of the JSON stream.
    const result = await engine.result(missionId);
    if (json) {
      out(JSON.stringify({ event: 'summary', mission: final.mission, agents, totalNanoUsd: total }));
      out(JSON.stringify(result));
    } else {
      out('');
      const kind = resultLabel(final.mission);
      out(`Mission ${final.mission.state}${kind && kind.toLowerCase() !== final.mission.state ? ` (${kind.toLowerCase()})` : ''}: ${final.mission.outcome ?? ''}`);
      out('Cost per agent:');
      for (const a of agents) {
        out(`  ${a.name.padEnd(20)} ${a.role.padEnd(8)} in ${String(a.inputTokens).padStart(9)}  out ${String(a.outputTokens).padStart(8)}  ${formatUsd(a.costNanoUsd)}`);
      }
      out(`  ${'total'.padEnd(29)} ${formatUsd(total)}`);
      if (kept) out(`Its worktrees were removed${final.mission.keepBranches ? ' (its branches were kept)' : ''}; the branch ${kept} keeps the work.`);
      out('');
      for (const line of resultLines(result)) out(line);
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

/** Reads and checks a new mission's team file and options; nothing is written yet. */
async function prepareNewMission(args: ParsedArgs): Promise<NewMission> {
  const teamFile = stringOption(args, 'team');
  const goal = stringOption(args, 'goal');
  const workspace = stringOption(args, 'workspace');
  if (!teamFile) throw new UsageError('--team FILE is required (or --resume to continue a mission)');
  if (goal === undefined) throw new UsageError('--goal TEXT is required');
  if (!workspace) throw new UsageError('--workspace DIR is required');
  let text: string;
  try {
    text = readFileSync(resolve(teamFile), 'utf8');
  } catch (error) {
    throw new Error(`cannot read the team file ${quote(teamFile)}: ${(error as Error).message}`);
  }
  // The team file goes through the contract's design schema (teamDesignDraftSchema).
  const parsed = parseTeamFile(text);
  if (!parsed.ok) throw new Error(`${quote(teamFile)}: ${parsed.message}`);
  const request = await validateRunRequest({
    goal,
    workspace,
    base: stringOption(args, 'base'),
    budget: stringOption(args, 'budget'),
    director: args.values.director === true,
  });
  return { draft: parsed.draft, request };
}

/**
 * Picks a mission up where the ledger left it, as the app would: a paused one resumes
 * (`MissionEngine.resume`), a draft starts; one waiting for the person (its plan) needs
 * nothing but the answers the loop asks for again.
 */
async function continueMission(engine: MissionEngine, missionId: string): Promise<void> {
  const state = engine.get(missionId).mission.state;
  if (state === 'paused') await engine.resume(missionId);
  else if (state === 'draft') await engine.start(missionId);
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
      const kind = resultLabel(p);
      return `mission  ${p.state}${kind && kind.toLowerCase() !== p.state ? ` ${kind.toLowerCase()}` : ''}${p.outcome ? ` (${p.outcome})` : ''}`;
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
