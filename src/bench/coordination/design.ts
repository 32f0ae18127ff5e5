import { DEFAULT_MODEL_BY_ROLE } from '../../shared/models.js';
import { teamDesignDraftSchema, type AgentSpec, type TeamSpec } from '../../shared/team.js';
import type { ValidTeamDesignDraft } from '../../main/ledger/team-repository.js';

/**
 * The benchmark's design: the 4 × 4 × 4 template's four teams and briefs
 * (renderer/src/domain/team-templates.ts, which a benchmark may not import), each a
 * leader over three coders, laid out in 1, 2 or 3 phases. The briefs are the template's,
 * so the owned paths are disjoint and any duplicate work or conflict is the engine's.
 */

interface BenchTeam {
  id: string;
  name: string;
  focus: string;
  owns: string[];
}

const TEAMS: readonly BenchTeam[] = [
  { id: 'infra', name: 'Infrastructure', focus: 'Infrastructure: database schema, config service, auth middleware.', owns: ['db/', 'config/', 'auth/'] },
  { id: 'workers', name: 'Workers', focus: 'Workers: the background jobs and queues, on the schema and config of Infrastructure.', owns: ['workers/', 'jobs/'] },
  { id: 'ops', name: 'Operations', focus: 'Operations: deployment, health checks, metrics and logging.', owns: ['ops/', 'deploy/'] },
  { id: 'interfaces', name: 'Interfaces', focus: 'Interfaces: the API and the user interface, built on the workers and operations.', owns: ['api/', 'ui/'] },
];

/**
 * Which teams each team starts after, per number of phases: one (all at once), two
 * (infrastructure, then the other three together) or three (the template's own order:
 * infrastructure, then workers and operations, then interfaces).
 */
const AFTER: Record<number, Record<string, string[]>> = {
  1: {},
  2: { workers: ['infra'], ops: ['infra'], interfaces: ['infra'] },
  3: { workers: ['infra'], ops: ['infra'], interfaces: ['workers', 'ops'] },
};

/** The phase counts the benchmark can lay out. */
export const PHASE_CHOICES = Object.keys(AFTER).map(Number);

export const CODERS_PER_TEAM = 3;

const agent = (id: string, role: 'leader' | 'coder'): AgentSpec => ({
  id,
  name: id,
  role,
  model: DEFAULT_MODEL_BY_ROLE[role],
  budgetNanoUsd: null,
  systemPrompt: '',
  permissions: { allowedCommands: [], writeScope: [] },
  idleTimeoutSec: null,
});

/** The design to save, validated as `teams:save` would: four teams of a leader and three coders, in `phases` phases. */
export function coordinationDesign(phases: number): ValidTeamDesignDraft {
  const after = AFTER[phases];
  if (!after) throw new Error(`--phases must be one of ${PHASE_CHOICES.join(', ')}, not ${phases}`);
  const teams: TeamSpec[] = TEAMS.map((t, i) => ({
    id: t.id,
    name: t.name,
    budgetNanoUsd: null,
    position: { x: i * 320, y: 0 },
    brief: { focus: t.focus, owns: t.owns },
    ...(after[t.id] ? { after: after[t.id] } : {}),
    agents: [agent(`${t.id}-lead`, 'leader'), ...Array.from({ length: CODERS_PER_TEAM }, (_, c) => agent(`${t.id}-c${c + 1}`, 'coder'))],
  }));
  return teamDesignDraftSchema.parse({
    name: `Coordination bench (${phases} phase${phases === 1 ? '' : 's'})`,
    description: 'The 4 × 4 × 4 template with three coders a team.',
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    teams,
  });
}
