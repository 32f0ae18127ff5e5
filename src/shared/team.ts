import { z } from 'zod';
import { MAX_BUDGET_USD, NANO_PER_USD } from './money.js';
import { MODEL_IDS, findModel } from './models.js';
import { phaseProblem } from './phases.js';
import { quote } from './quote.js';

/**
 * Team designs: what a person draws on the canvas before a mission. A design holds
 * teams; each team holds at most one leader and any number of specialists. Budgets
 * are integer nano-dollars, or null for "no cap of its own".
 */

export const AGENT_ROLES = ['leader', 'coder', 'reviewer', 'researcher'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const LIMITS = {
  nameLength: 64,
  designNameLength: 120,
  descriptionLength: 2_000,
  systemPromptLength: 20_000,
  commandLength: 500,
  listLength: 50,
  agentsPerTeam: 20,
  teamsPerDesign: 50,
  briefLength: 2_000,
  minIdleTimeoutSec: 10,
  maxIdleTimeoutSec: 86_400,
} as const;

/** Team files larger than this are refused before they are parsed. */
export const MAX_TEAM_FILE_BYTES = 1024 * 1024;

const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"');

const nameSchema = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const budgetNanoSchema = z
  .number({ error: 'must be a number of nano-dollars or null' })
  .int('must be a whole number of nano-dollars')
  .min(0, 'must not be negative')
  .max(MAX_BUDGET_USD * NANO_PER_USD, `must be at most $${MAX_BUDGET_USD.toLocaleString('en-US')}`)
  .nullable();

export const modelIdSchema = z.string().refine((id) => findModel(id) !== undefined, {
  error: (issue) => `unknown model ${quote(issue.input)}; known models: ${MODEL_IDS.join(', ')}`,
});

export const agentPermissionsSchema = z.object({
  allowedCommands: z.array(z.string().trim().min(1).max(LIMITS.commandLength)).max(LIMITS.listLength),
  writeScope: z.array(z.string().trim().min(1).max(LIMITS.commandLength)).max(LIMITS.listLength),
});

/**
 * How an agent runs. `built-in` is Control Room's own loop over the Messages API with its
 * file and command tools; `claude-code` is a Claude Code session (through
 * @anthropic-ai/claude-agent-sdk) in the agent's worktree, whose model traffic goes through
 * Control Room's loopback gateway. An agent without a runtime is `built-in`.
 */
export const AGENT_RUNTIMES = ['built-in', 'claude-code'] as const;
export type AgentRuntime = (typeof AGENT_RUNTIMES)[number];

/** The runtime an agent spec asks for (files written before runtimes existed have none). */
export function agentRuntime(spec: { runtime?: AgentRuntime | undefined }): AgentRuntime {
  return spec.runtime ?? 'built-in';
}

/**
 * URL exists in every place this file runs (Node, Chromium) but src/shared compiles without
 * the DOM or Node types, so it is reached through globalThis with the one method used.
 */
const canParseUrl = (url: string): boolean =>
  (globalThis as unknown as { URL: { canParse(url: string): boolean } }).URL.canParse(url);

const mcpNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"')
  .refine((name) => name !== 'control-room', {
    error: '"control-room" is the name of Control Room\'s own tools',
  });

/**
 * An MCP server a Claude Code agent may use. No environment variables or headers: a team
 * file is shared and stored in the ledger, so it must never carry a secret; a server that
 * needs one reads it from its own configuration.
 */
export const mcpServerSpecSchema = z.discriminatedUnion(
  'type',
  [
    z.object({
      name: mcpNameSchema,
      type: z.literal('stdio'),
      command: z.string().trim().min(1, 'must not be empty').max(LIMITS.commandLength),
      args: z.array(z.string().max(LIMITS.commandLength)).max(LIMITS.listLength),
    }),
    z.object({
      name: mcpNameSchema,
      type: z.enum(['http', 'sse']),
      url: z
        .string()
        .max(2_000)
        .refine((u) => /^https?:\/\//.test(u) && canParseUrl(u), { error: 'must be an http(s) URL' }),
    }),
  ],
  { error: 'must be "stdio", "http" or "sse"' },
);
export type McpServerSpec = z.infer<typeof mcpServerSpecSchema>;

/** Claude Code's own tools an agent may use without asking (its Bash and edits are still checked against the permissions). */
export const CLAUDE_CODE_TOOLS = [
  'Read',
  'Glob',
  'Grep',
  'LS',
  'Edit',
  'MultiEdit',
  'Write',
  'NotebookEdit',
  'Bash',
  'TodoWrite',
  'WebFetch',
  'WebSearch',
] as const;
export type ClaudeCodeTool = (typeof CLAUDE_CODE_TOOLS)[number];

export const claudeCodeSpecSchema = z.object({
  /** Claude Code tools the session may use; the rest are not offered to the model. */
  allowedTools: z
    .array(
      z.enum(CLAUDE_CODE_TOOLS, {
        error: (issue) =>
          `unknown Claude Code tool ${quote(issue.input)}; known tools: ${CLAUDE_CODE_TOOLS.join(', ')}`,
      }),
    )
    .max(CLAUDE_CODE_TOOLS.length),
  mcpServers: z
    .array(mcpServerSpecSchema)
    .max(10)
    .superRefine((servers, ctx) => {
      const seen = new Set<string>();
      servers.forEach((s, i) => {
        if (seen.has(s.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate MCP server "${s.name}"` });
        seen.add(s.name);
      });
    }),
});
export type ClaudeCodeSpec = z.infer<typeof claudeCodeSpecSchema>;

/** What a Claude Code agent of each role gets when its design says nothing more. */
export function defaultClaudeCodeSpec(role: AgentRole): ClaudeCodeSpec {
  const readOnly: ClaudeCodeSpec['allowedTools'] = ['Read', 'Glob', 'Grep', 'LS'];
  return {
    allowedTools:
      role === 'coder' ? [...readOnly, 'Edit', 'MultiEdit', 'Write', 'Bash', 'TodoWrite'] : readOnly,
    mcpServers: [],
  };
}

export const agentSpecSchema = z.object({
  id: idSchema,
  name: nameSchema(LIMITS.nameLength),
  role: z.enum(AGENT_ROLES),
  model: modelIdSchema,
  budgetNanoUsd: budgetNanoSchema,
  systemPrompt: z.string().max(LIMITS.systemPromptLength),
  permissions: agentPermissionsSchema,
  idleTimeoutSec: z.number().int().min(LIMITS.minIdleTimeoutSec).max(LIMITS.maxIdleTimeoutSec).nullable(),
  runtime: z
    .enum(AGENT_RUNTIMES, {
      error: (issue) =>
        `unknown runtime ${quote(issue.input)}; must be ${AGENT_RUNTIMES.map((r) => `"${r}"`).join(' or ')}`,
    })
    .optional(),
  /** Only read when `runtime` is `claude-code`; absent means `defaultClaudeCodeSpec(role)`. */
  claudeCode: claudeCodeSpecSchema.optional(),
});
export type AgentSpec = z.infer<typeof agentSpecSchema>;

const pointSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

/** A path inside the repository a team or task owns: relative, no `..`, `/` separators. */
export const repoPathSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(1_000)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..'), {
    error: (issue) => `must be a path inside the repository, not ${quote(issue.input)}`,
  });

/**
 * What a team is for, in every mission it runs: its focus in a few lines and, optionally,
 * the paths it owns. Its leader plans from it and the other leaders read it, so teams do
 * not plan the same work twice.
 */
export const teamBriefSchema = z.object({
  /** e.g. "Infrastructure: database schema, config service, auth middleware". */
  focus: z.string().trim().max(LIMITS.briefLength, `must be at most ${LIMITS.briefLength} characters`),
  owns: z.array(repoPathSchema).max(LIMITS.listLength),
});
export type TeamBrief = z.infer<typeof teamBriefSchema>;

/** A team's brief, empty when its design says none. */
export function teamBrief(team: { brief?: TeamBrief | undefined }): TeamBrief {
  return team.brief ?? { focus: '', owns: [] };
}

export const teamSpecSchema = z
  .object({
    id: idSchema,
    name: nameSchema(LIMITS.nameLength),
    budgetNanoUsd: budgetNanoSchema,
    position: pointSchema,
    agents: z.array(agentSpecSchema).max(LIMITS.agentsPerTeam),
    /** Absent in designs and files from before briefs existed. */
    brief: teamBriefSchema.optional(),
    /** Ids of the teams whose work must be merged before this team starts planning (its phase). */
    after: z.array(idSchema).max(LIMITS.teamsPerDesign).optional(),
  })
  .superRefine((team, ctx) => {
    const leaders = team.agents.filter((a) => a.role === 'leader');
    if (leaders.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['agents'],
        message: `team "${team.name}" has ${leaders.length} leaders (${leaders
          .map((l) => l.name)
          .join(', ')}); a team has at most one leader: split it into teams`,
      });
    }
  });
export type TeamSpec = z.infer<typeof teamSpecSchema>;

export const canvasSchema = z.object({
  zoom: z.number().min(0.1).max(4),
  offset: pointSchema,
});

/** Fields a person edits; ids of teams and agents are chosen by the client. */
const designFields = {
  name: nameSchema(LIMITS.designNameLength),
  description: z.string().max(LIMITS.descriptionLength),
  teams: z.array(teamSpecSchema).max(LIMITS.teamsPerDesign),
  canvas: canvasSchema,
  /** The director that may draft each team's share of a mission's goal; absent: Opus. */
  director: z.object({ model: modelIdSchema }).optional(),
};

/** The director's model when a design names none: the split of a goal is worth the best model. */
export const DEFAULT_DIRECTOR_MODEL = 'claude-opus-4-8';

/** Names and ids must be unique across the whole design: agents are addressed by them. */
function refineDesign(design: { teams: TeamSpec[] }, ctx: z.RefinementCtx): void {
  refineUnique(design, ctx);
  const problem = phaseProblem(design.teams);
  if (problem) ctx.addIssue({ code: 'custom', path: ['teams', problem.team, 'after'], message: problem.message });
}

function refineUnique(design: { teams: TeamSpec[] }, ctx: z.RefinementCtx): void {
  const names = new Map<string, string>();
  const ids = new Set<string>();
  design.teams.forEach((team, t) => {
    if (ids.has(team.id)) {
      ctx.addIssue({ code: 'custom', path: ['teams', t, 'id'], message: `duplicate id "${team.id}"` });
    }
    ids.add(team.id);
    team.agents.forEach((agent, a) => {
      const path = ['teams', t, 'agents', a];
      if (ids.has(agent.id)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: `duplicate id "${agent.id}"` });
      }
      ids.add(agent.id);
      const key = agent.name.toLocaleLowerCase();
      const other = names.get(key);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'name'],
          message: `duplicate agent name "${agent.name}" (also used in team "${other}"); agent names must be unique in a design`,
        });
      } else {
        names.set(key, team.name);
      }
    });
  });
}

/** What `teams:save` accepts: no id creates a design, an id updates it. */
export const teamDesignDraftSchema = z
  .object({
    id: idSchema.optional(),
    /** When given, the save fails with `conflict` if the stored revision moved on. */
    expectedRevision: z.number().int().min(0).optional(),
    ...designFields,
  })
  .superRefine(refineDesign);
export type TeamDesignDraft = z.input<typeof teamDesignDraftSchema>;

export const teamDesignSchema = z
  .object({
    id: idSchema,
    revision: z.number().int().min(1),
    createdAt: z.string(),
    updatedAt: z.string(),
    ...designFields,
  })
  .superRefine(refineDesign);
export type TeamDesign = z.infer<typeof teamDesignSchema>;

export interface TeamDesignSummary {
  id: string;
  name: string;
  description: string;
  teamCount: number;
  agentCount: number;
  updatedAt: string;
  revision: number;
}

/** Counts every agent of every team in a design. */
export function countAgents(design: { teams: { agents: unknown[] }[] }): number {
  return design.teams.reduce((n, t) => n + t.agents.length, 0);
}
