import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreateMissionRequest } from '../../shared/contract/missions.js';
import type { MissionSettings } from '../../shared/mission.js';
import { usdToNano } from '../../shared/money.js';
import { quote } from '../../shared/quote.js';
import { AppError } from '../../shared/result.js';
import { TEAM_WEIGHT_DEFAULT } from '../../shared/steering.js';
import type { EscalationRecord, AgentRecord, MissionRecord, MissionStore, TeamRecord } from '../ledger/mission-repository.js';
import type { TeamRepository } from '../ledger/team-repository.js';
import { briefRequest, writeShares } from './director.js';

/** What creating a mission reads and writes. */
export interface MissionCreateDeps {
  store: MissionStore;
  teams: TeamRepository;
  /** Where the mission's worktrees will be (`<worktreesDir>/<mission id>`). */
  worktreesDir: string;
  /** Mission settings a request does not override. */
  defaults: MissionSettings;
  /** The creation time, ISO-8601. */
  at: string;
}

/**
 * Checks a create request against its design and the disk, then writes the mission in
 * `draft` with its teams and agents (and, when the director is asked, the draft's
 * escalation) in one transaction: a refused request writes nothing. The design is
 * snapshotted, so later edits do not change the mission.
 */
export function createMission(
  deps: MissionCreateDeps,
  request: CreateMissionRequest,
): { mission: MissionRecord; brief: EscalationRecord | undefined } {
  const design = deps.teams.get(request.designId);
  if (!design) throw new AppError('not_found', `no team design with id ${quote(request.designId)}`);
  for (const team of design.teams) {
    const leaders = team.agents.filter((a) => a.role === 'leader');
    const coders = team.agents.filter((a) => a.role === 'coder');
    if (leaders.length !== 1) throw new AppError('invalid_request', `team "${team.name}" needs a leader to plan and review its work`);
    if (coders.length === 0) throw new AppError('invalid_request', `team "${team.name}" needs at least one coder`);
  }
  if (design.teams.length === 0) throw new AppError('invalid_request', `design "${design.name}" has no teams`);
  const unknownShare = Object.keys(request.teamShares ?? {}).find((t) => !design.teams.some((team) => team.id === t));
  if (unknownShare !== undefined) {
    throw new AppError('invalid_request', `teamShares names an unknown team ${quote(unknownShare)}; the design's teams are: ${design.teams.map((t) => t.id).join(', ')}`);
  }
  const repoPath = resolve(request.repoPath);
  if (!existsSync(repoPath) || !statSync(repoPath).isDirectory()) {
    throw new AppError('not_found', `the repository folder "${repoPath}" does not exist`);
  }
  const id = `m-${randomUUID().slice(0, 8)}`;
  const at = deps.at;
  const budgetNano = request.budgetNanoUsd ?? (request.budgetUsd === undefined ? null : usdToNano(request.budgetUsd));
  const firstLine = request.goal.split('\n')[0] ?? request.goal;
  const mission: MissionRecord = {
    id,
    name: request.name ?? `${design.name}: ${firstLine.slice(0, 60)}`,
    designId: design.id,
    designRevision: design.revision,
    design,
    goal: request.goal,
    repoPath,
    baseBranch: request.baseBranch,
    worktreeRoot: join(deps.worktreesDir, id),
    state: 'draft',
    pausedFrom: null,
    budgetNano,
    skipPlanApproval: request.skipPlanApproval,
    allowedCommands: request.allowedCommands,
    setupCommand: request.setupCommand ?? null,
    copyFiles: request.copyFiles,
    settings: { ...deps.defaults, ...request.settings },
    planRound: 0,
    finalCommit: null,
    outcome: null,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    endedAt: null,
    resultKind: null,
  };
  let brief: EscalationRecord | undefined;
  deps.store.tx(() => {
    deps.store.saveMission(mission);
    deps.store.log({ missionId: id, at, kind: 'mission', subjectId: id, fromState: null, toState: 'draft', detail: { designId: design.id } });
    design.teams.forEach((team, t) => {
      const after = team.after ?? [];
      const rec: TeamRecord = {
        missionId: id,
        id: team.id,
        name: team.name,
        budgetNano: team.budgetNanoUsd,
        planState: 'pending',
        planSummary: null,
        sortOrder: t,
        // This mission's copy of the links: the director may change them before planning.
        share: null,
        after,
        // A preview until the start decides (`openReadyTeams`), after any change of `after`.
        phaseState: after.length > 0 ? 'waiting' : 'active',
        startCommit: null,
        mergedCommit: null,
        delivery: null,
        priorityWeight: TEAM_WEIGHT_DEFAULT,
        paused: false,
      };
      deps.store.saveTeam(rec);
      team.agents.forEach((a, i) => {
        const agent: AgentRecord = {
          missionId: id,
          id: a.id,
          teamId: team.id,
          name: a.name,
          role: a.role,
          model: a.model,
          budgetNano: a.budgetNanoUsd,
          state: 'starting',
          stateReason: null,
          currentTaskId: null,
          turnsWithoutProgress: 0,
          lastActivityAt: at,
          sortOrder: i,
        };
        deps.store.saveAgent(agent);
        deps.store.log({ missionId: id, at, kind: 'agent', subjectId: a.id, fromState: null, toState: 'starting', detail: {} });
      });
    });
    if (request.teamShares) writeShares(deps.store, id, request.teamShares, null);
    if (request.director) {
      brief = briefRequest(mission, at, 1, null);
      deps.store.saveEscalation(brief);
      deps.store.log({ missionId: id, at, kind: 'escalation', subjectId: brief.id, fromState: null, toState: 'human', detail: { type: brief.type, title: brief.title } });
    }
  });
  return { mission, brief };
}
