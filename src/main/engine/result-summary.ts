import type { ResponseContentBlock, ToolDefinition } from '../llm/provider.js';
import { MissionResultsStore } from '../ledger/mission-results.js';
import type { TaskRecord } from '../ledger/mission-repository.js';
import { toRequestBlocks } from './conversation.js';
import type { MissionHost } from './mission-host.js';
import { errorText, type TeamRt } from './runtime-types.js';

/**
 * The leaders' summary at integration: once a team is merged into the mission branch, its
 * leader writes in a few sentences what the team delivered, for the mission's result (and
 * the pull request's description). One model call per team through the gateway, so it is
 * limited and billed like any other (attributed to the team's leader, no task). A failed
 * call or a malformed reply never fails the mission: the summary is then the merged tasks'
 * own submission summaries, marked as such with the reason.
 */

/** The tool the leader answers with; the simulated provider plays the role it implies. */
export const RESULT_SUMMARY_TOOL = 'submit_result_summary';
/** Longest summary kept. */
export const RESULT_SUMMARY_MAX = 4_000;
const MAX_TOKENS = 1_024;

export const RESULT_SUMMARY_TOOL_DEFINITION: ToolDefinition = {
  name: RESULT_SUMMARY_TOOL,
  description:
    "Submit a short summary of what your team delivered in this mission, for the person's review of the result.",
  input_schema: {
    type: 'object',
    properties: {
      summary: {
        type: 'string',
        description:
          'A few sentences: what the team built or changed, where (main files), and anything the person should check.',
      },
    },
    required: ['summary'],
  },
};

const SYSTEM =
  "You are the leader of a team of coding agents. Your team's work has just been merged into the mission branch. " +
  `Write what the team delivered for the person who supervises the mission. Answer with one call of ${RESULT_SUMMARY_TOOL}.`;

/** What the leader is told about its team's delivery. */
export interface SummaryInput {
  team: string;
  goal: string;
  share: string | null;
  planSummary: string | null;
  files: readonly string[];
  tasks: readonly { key: string; title: string; submissionSummary: string | null; assignee: string | null }[];
}

/** The leader's prompt: the labelled facts it summarises (the simulated leader reads the same labels). */
export function summaryPrompt(input: SummaryInput): string {
  const lines = [`Team: ${input.team}`, `Mission goal: ${input.goal.split('\n')[0] ?? ''}`];
  if (input.share?.trim()) lines.push(`Team's share: ${input.share.trim().split('\n')[0]}`);
  if (input.planSummary?.trim()) lines.push(`Plan: ${input.planSummary.trim()}`);
  const shown = input.files.slice(0, 60);
  lines.push(
    `Files changed (${input.files.length}): ${shown.join(', ')}${input.files.length > shown.length ? ', …' : ''}`,
  );
  lines.push('Merged tasks:');
  for (const t of input.tasks) {
    lines.push(
      `- ${t.key}: ${t.title}${t.assignee ? ` [by ${t.assignee}]` : ''} | ${t.submissionSummary?.trim().split('\n')[0] || 'no summary'}`,
    );
  }
  lines.push(
    '',
    `Call ${RESULT_SUMMARY_TOOL} once with a summary of a few sentences: what was delivered, the main files, and what the person should check before merging.`,
  );
  return lines.join('\n');
}

export type SummaryReply = { ok: true; summary: string } | { ok: false; error: string };

/** Reads the leader's reply: its tool call with a non-empty summary, cut to {@link RESULT_SUMMARY_MAX}. */
export function parseSummaryReply(content: readonly ResponseContentBlock[]): SummaryReply {
  const use = content.find((b) => b.type === 'tool_use' && b.name === RESULT_SUMMARY_TOOL);
  if (!use || use.type !== 'tool_use')
    return { ok: false, error: `the leader answered without calling ${RESULT_SUMMARY_TOOL}` };
  const summary = (use.input as Record<string, unknown> | null)?.summary;
  if (typeof summary !== 'string' || summary.trim() === '')
    return { ok: false, error: `the leader's ${RESULT_SUMMARY_TOOL} has no summary` };
  const text = summary.trim();
  return {
    ok: true,
    summary: text.length > RESULT_SUMMARY_MAX ? `${text.slice(0, RESULT_SUMMARY_MAX - 1)}…` : text,
  };
}

/** The summary when the leader's is missing: its merged tasks' own submission summaries. */
export function fallbackSummary(tasks: SummaryInput['tasks']): string {
  if (tasks.length === 0) return 'No task of this team was merged.';
  const text = tasks
    .map((t) => `- ${t.key} (${t.title}): ${t.submissionSummary?.trim() || 'merged'}`)
    .join('\n');
  return text.length > RESULT_SUMMARY_MAX ? `${text.slice(0, RESULT_SUMMARY_MAX - 1)}…` : text;
}

function mergedTasks(h: MissionHost, team: TeamRt): TaskRecord[] {
  return [...h.tasks.values()]
    .filter((t) => t.teamId === team.rec.id && t.state === 'merged')
    .sort((a, b) => a.planRound - b.planRound || a.sortOrder - b.sortOrder);
}

/**
 * Writes the summary of every merged team that has none yet (so a restart, or a later
 * phase's integration, summarises only what is missing), one leader call per team, all at
 * once. Never throws for a model's failure: that team gets the fallback and the reason.
 */
export async function summariseMergedTeams(h: MissionHost): Promise<void> {
  try {
    const results = new MissionResultsStore(h.ctx.store.db);
    const done = new Set(results.teamSummaries(h.mission.id).map((r) => r.teamId));
    const teams = [...h.teams.values()].filter((t) => t.rec.phaseState === 'merged' && !done.has(t.rec.id));
    await Promise.all(teams.map((team) => summariseTeam(h, results, team)));
  } catch (error) {
    // A summary is a report on the work, not the work: the merge goes on without it.
    if (h.ctx.store.open) h.ctx.logError("writing the leaders' summaries", error);
  }
}

async function summariseTeam(h: MissionHost, results: MissionResultsStore, team: TeamRt): Promise<void> {
  const names = new Map([...h.agents.values()].map((a) => [a.rec.id, a.rec.name]));
  const tasks = mergedTasks(h, team).map((t) => ({
    key: t.key,
    title: t.title,
    submissionSummary: t.submissionSummary,
    assignee: t.assignee ? (names.get(t.assignee) ?? t.assignee) : null,
  }));
  const input: SummaryInput = {
    team: team.rec.name,
    goal: h.mission.goal,
    share: team.rec.share,
    planSummary: team.rec.planSummary,
    files: team.rec.delivery?.files ?? [],
    tasks,
  };
  const leader = team.leader;
  let outcome: SummaryReply;
  if (!leader) {
    outcome = { ok: false, error: 'the team has no leader' };
  } else {
    const prompt = summaryPrompt(input);
    try {
      const result = await h.ctx.gateway.call(
        {
          model: leader.rec.model,
          system: SYSTEM,
          messages: [{ role: 'user', content: prompt }],
          tools: [RESULT_SUMMARY_TOOL_DEFINITION],
          tool_choice: { type: 'tool', name: RESULT_SUMMARY_TOOL },
          max_tokens: MAX_TOKENS,
        },
        {
          missionId: h.mission.id,
          teamId: team.rec.id,
          agentId: leader.rec.id,
          role: 'leader',
          taskId: null,
        },
        {
          onStored: (stored) => {
            // The exchange is the leader's transcript too, in the call's transaction.
            const base = {
              missionId: h.mission.id,
              agentId: leader.rec.id,
              conversation: `result:${team.rec.id}`,
              kind: 'message' as const,
              at: h.now(),
            };
            h.ctx.store.appendTranscript({ ...base, seq: 0, message: { role: 'user', content: prompt } });
            h.ctx.store.appendTranscript({
              ...base,
              seq: 1,
              message: { role: 'assistant', content: toRequestBlocks(stored.message.content).blocks },
              inputTokens: stored.usage.input_tokens,
              outputTokens: stored.usage.output_tokens,
            });
          },
        },
      );
      leader.usage.input +=
        result.usage.input_tokens +
        result.usage.cache_creation_input_tokens +
        result.usage.cache_read_input_tokens;
      leader.usage.output += result.usage.output_tokens;
      leader.usage.cost += result.costNano;
      outcome = parseSummaryReply(result.message.content);
    } catch (error) {
      outcome = { ok: false, error: `the leader's call failed: ${errorText(error).slice(0, 300)}` };
    }
  }
  if (!h.ctx.store.open) return;
  const at = h.now();
  h.ctx.store.tx(() => {
    results.saveTeamSummary({
      missionId: h.mission.id,
      teamId: team.rec.id,
      summary: outcome.ok ? outcome.summary : fallbackSummary(tasks),
      source: outcome.ok ? 'leader' : 'fallback',
      note: outcome.ok ? null : `${outcome.error}; this is the tasks' own summaries instead`,
      createdAt: at,
    });
    h.ctx.store.log({
      missionId: h.mission.id,
      at,
      kind: 'note',
      subjectId: team.rec.id,
      fromState: null,
      toState: null,
      detail: outcome.ok ? { resultSummary: 'leader' } : { resultSummary: 'fallback', error: outcome.error },
    });
  });
}
