import type { TeamRecord } from '../ledger/mission-repository.js';
import type { TeamMergeOutcome } from '../workspace/mission-workspace.js';
import type { MissionHost } from './mission-host.js';
import { deliverySummary, teamsThatMayPlan, waitingReason } from './phases.js';
import { TERMINAL_AGENT, type TeamRt } from './runtime-types.js';

/**
 * Moving teams through a mission's phases (see `phases.ts` for the rule): starting the
 * teams that may plan now from the mission branch, and recording a team merged into it
 * with what it delivered. Git first, then the ledger: each step can be redone after a
 * restart without doing it twice (a team already started or merged is left alone).
 */

/** Saves a team's row, with a note in the mission log when its phase state changed. */
export function saveTeamPhase(h: MissionHost, team: TeamRt, patch: Partial<TeamRecord>, detail: Record<string, unknown> = {}): void {
  const next = { ...team.rec, ...patch };
  const at = h.now();
  h.ctx.store.tx(() => {
    h.ctx.store.saveTeam(next);
    if (patch.phaseState && patch.phaseState !== team.rec.phaseState) {
      h.ctx.store.log({
        missionId: h.mission.id,
        at,
        kind: 'note',
        subjectId: team.rec.id,
        fromState: team.rec.phaseState,
        toState: patch.phaseState,
        detail: { phase: true, ...detail },
      });
    }
  });
  team.rec = next;
  h.emitTeam(next);
}

/**
 * Starts every team that may plan now and is not started yet: its branch and its coders'
 * move to the mission branch's commit, then its row says `active` with that commit. Teams
 * that must still wait are marked `waiting`, their agents idle with the reason (which the
 * idle reaper respects). Reads each team's `after` and share from the ledger first, where
 * the director may have changed them. Answers the teams it started.
 *
 * The one place that decides which teams plan: the mission's start calls it (after any
 * step that rewrites `after`), and so does the end of each phase.
 */
export async function openReadyTeams(h: MissionHost, reason: string): Promise<TeamRt[]> {
  const rows = new Map(h.ctx.store.teams(h.mission.id).map((r) => [r.id, r]));
  for (const team of h.teams.values()) {
    const row = rows.get(team.rec.id);
    if (row) team.rec = { ...team.rec, share: row.share, after: row.after };
  }
  const teams = [...h.teams.values()];
  const may = new Set(teamsThatMayPlan(teams.map((t) => t.rec)).map((r) => r.id));
  const ws = h.requireWorkspace();
  const started: { team: TeamRt; commit: string }[] = [];
  for (const team of teams) {
    if (!may.has(team.rec.id) || (team.rec.phaseState === 'active' && team.rec.startCommit !== null)) continue;
    started.push({ team, commit: await ws.startTeamFromMission(team.rec.id) });
  }
  if (!h.ctx.store.open) return [];
  h.ctx.store.tx(() => {
    for (const { team, commit } of started) {
      saveTeamPhase(h, team, { phaseState: 'active', startCommit: commit }, { reason, commit });
      for (const a of team.all) {
        if (a.rec.state === 'idle' && a.rec.stateReason?.startsWith('waiting for ')) h.setAgentState(a, 'idle', 'its phase started');
      }
    }
    const records = teams.map((t) => t.rec);
    for (const team of teams) {
      if (may.has(team.rec.id) || team.rec.phaseState === 'merged') continue;
      if (team.rec.phaseState !== 'waiting') saveTeamPhase(h, team, { phaseState: 'waiting' }, { reason: 'it starts after other teams' });
      const why = waitingReason(team.rec, records);
      for (const a of team.all) {
        if (!TERMINAL_AGENT.includes(a.rec.state) && !a.loop && a.rec.stateReason !== why) h.setAgentState(a, 'idle', why);
      }
    }
  });
  return started.map((s) => s.team);
}

/** A team merged into the mission branch: its row says so, with the commit and what it delivered. */
export function recordTeamMerged(h: MissionHost, team: TeamRt, outcome: Extract<TeamMergeOutcome, { merged: true }>): void {
  const tasks = [...h.tasks.values()]
    .filter((t) => t.teamId === team.rec.id && t.state === 'merged')
    .sort((a, b) => a.planRound - b.planRound || a.sortOrder - b.sortOrder);
  const delivery = { files: outcome.files, summary: deliverySummary(team.rec.planSummary, tasks) };
  saveTeamPhase(h, team, { phaseState: 'merged', mergedCommit: outcome.commit, delivery }, { commit: outcome.commit, files: outcome.files.length });
}

/** The teams working now (planning, coding or waiting for review), in the design's order. */
export function activeTeams(h: Pick<MissionHost, 'teams'>): TeamRt[] {
  return [...h.teams.values()].filter((t) => t.rec.phaseState === 'active').sort((a, b) => a.rec.sortOrder - b.rec.sortOrder);
}
