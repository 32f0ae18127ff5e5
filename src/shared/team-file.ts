import { z } from 'zod';
import { nanoToUsd, usdToNano } from './money.js';
import { MAX_TEAM_FILE_BYTES, teamDesignDraftSchema, type TeamDesign } from './team.js';
import { quote, safeMessage } from './quote.js';
import { formatIssues } from './validation.js';

/**
 * The JSON file people export, share, edit by hand and import. It carries the whole
 * design (layout, policies, budgets) with budgets written in dollars so that a person
 * can edit them; conversion to nano-dollars is exact for up to nine decimals.
 */
export const TEAM_FILE_FORMAT = 'control-room/team-design';
export const TEAM_FILE_VERSION = 1;

const usdBudget = z.number().nullable();

const fileAgent = z.looseObject({ budgetUsd: usdBudget });
const fileTeam = z.looseObject({ budgetUsd: usdBudget, agents: z.array(fileAgent) });
const fileSchema = z.object({
  format: z.literal(TEAM_FILE_FORMAT, `must be "${TEAM_FILE_FORMAT}"`),
  version: z.literal(
    TEAM_FILE_VERSION,
    `must be ${TEAM_FILE_VERSION}; this file comes from another version of Control Room`,
  ),
  design: z.looseObject({ teams: z.array(fileTeam) }),
});

/** Serialises a stored design to the team file format (pretty-printed, stable order). */
export function designToFile(design: TeamDesign): string {
  const file = {
    format: TEAM_FILE_FORMAT,
    version: TEAM_FILE_VERSION,
    design: {
      id: design.id,
      name: design.name,
      description: design.description,
      canvas: design.canvas,
      // Only when the design names one: absent means the default director model.
      ...(design.director ? { director: design.director } : {}),
      teams: design.teams.map(({ budgetNanoUsd, agents, ...team }) => ({
        ...team,
        budgetUsd: budgetNanoUsd === null ? null : nanoToUsd(budgetNanoUsd),
        agents: agents.map(({ budgetNanoUsd: agentBudget, ...agent }) => ({
          ...agent,
          budgetUsd: agentBudget === null ? null : nanoToUsd(agentBudget),
        })),
      })),
    },
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export type ParsedTeamFile =
  | { ok: true; draft: z.output<typeof teamDesignDraftSchema> }
  | { ok: false; code: 'too_large' | 'invalid_team_file'; message: string };

/**
 * Parses and validates a team file's text. Never throws: every way a file can be
 * broken (too large, not JSON, wrong format, bad field) comes back as a message that
 * names the problem and, where there is one, the field.
 */
export function parseTeamFile(text: string): ParsedTeamFile {
  const bytes = utf8Length(text);
  if (bytes > MAX_TEAM_FILE_BYTES) {
    return {
      ok: false,
      code: 'too_large',
      message: `team file is ${bytes} bytes; the limit is ${MAX_TEAM_FILE_BYTES}`,
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      code: 'invalid_team_file',
      message: safeMessage(`team file is not valid JSON: ${(error as Error).message}`),
    };
  }
  const envelope = fileSchema.safeParse(raw);
  if (!envelope.success) {
    return {
      ok: false,
      code: 'invalid_team_file',
      message: `not a team file: ${formatIssues(envelope.error.issues)}`,
    };
  }
  let badBudget: string | undefined;
  const toNano = (usd: number | null, where: string): number | null => {
    if (usd === null) return null;
    if (!Number.isFinite(usd) || usd < 0) {
      badBudget ??= `${where}.budgetUsd: must not be negative`;
      return null;
    }
    return usdToNano(usd);
  };
  const { teams, ...rest } = envelope.data.design;
  const draftInput = {
    ...rest,
    teams: teams.map(({ budgetUsd, agents, ...team }, t) => ({
      ...team,
      budgetNanoUsd: toNano(budgetUsd, `design.teams.${t}`),
      agents: agents.map(({ budgetUsd: agentUsd, ...agent }, a) => ({
        ...agent,
        budgetNanoUsd: toNano(agentUsd, `design.teams.${t}.agents.${a}`),
      })),
    })),
  };
  if (badBudget) return { ok: false, code: 'invalid_team_file', message: badBudget };
  const draft = teamDesignDraftSchema.safeParse(draftInput);
  if (!draft.success) {
    const issues = draft.error.issues.map((issue) => withAgentName(issue, draftInput.teams));
    return { ok: false, code: 'invalid_team_file', message: formatIssues(issues, 'design') };
  }
  return { ok: true, draft: draft.data };
}

/**
 * Adds the agent's name to an issue about one of its fields: in a hand-edited file with
 * twenty agents, "design.teams.1.agents.3.runtime" alone sends a person counting.
 */
function withAgentName<I extends { path: PropertyKey[]; message: string }>(
  issue: I,
  teams: readonly { agents: readonly Record<string, unknown>[] }[],
): I {
  const [teamsKey, t, agentsKey, a, ...field] = issue.path;
  if (teamsKey !== 'teams' || agentsKey !== 'agents' || field.length === 0) return issue;
  const name = teams[Number(t)]?.agents[Number(a)]?.name;
  if (typeof name !== 'string' || name.trim() === '' || issue.message.includes(`"${name}"`)) return issue;
  return { ...issue, message: `${issue.message} (agent ${quote(name.trim(), 40)})` };
}

/** UTF-8 size of a string, without TextEncoder (src/shared has no DOM or Node types). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}
