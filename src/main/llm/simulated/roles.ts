/**
 * Which part the simulated model plays, decided from the tools the request offers and
 * nothing else, then shaped by tool_choice the way the API would shape a real reply.
 */
import { promptText, toolNames } from './conversation.js';
import { codingReply } from './coder.js';
import { DIRECTOR_TOOL_NAME, directorReply } from './director.js';
import { escalationReply, RESULT_SUMMARY_TOOL_NAME, resolutionReply, resultSummaryReply, reviewReply } from './leader.js';
import { planningReply } from './planner.js';
import { call, say, type DraftBlock, type RoleInput } from './reply.js';
import { textReply } from './summariser.js';

/** The role a request asks for. */
export type SimulatedRole = 'planning' | 'coding' | 'review' | 'escalation' | 'resolution' | 'message' | 'director' | 'result_summary' | 'text';

/** The role implied by the offered tool names (the engine's catalogue in engine/tools.ts). */
export function roleOf(tools: readonly string[]): SimulatedRole {
  if (tools.includes(DIRECTOR_TOOL_NAME)) return 'director';
  if (tools.includes(RESULT_SUMMARY_TOOL_NAME)) return 'result_summary';
  if (tools.includes('create_task') || tools.includes('submit_plan')) return 'planning';
  if (tools.includes('approve_submission') || tools.includes('reject_submission')) return 'review';
  if (tools.includes('answer_coder') || tools.includes('escalate_to_human')) return 'escalation';
  // Before coding: a leader resolving a merge conflict has the file tools too.
  if (tools.includes('submit_resolution')) return 'resolution';
  if (tools.includes('write_file') || tools.includes('submit_task')) return 'coding';
  if (tools.includes('reply_to_person')) return 'message';
  return 'text';
}

// What a model fills in when forced to call a tool its role would not have chosen now.
const FORCED_DEFAULTS: Record<string, Record<string, unknown>> = {
  submit_plan: { summary: 'Plan submitted as created.' },
  submit_task: { summary: 'Submitting the work done so far.' },
  list_dir: { path: '.' },
  approve_submission: { comment: 'Approved.' },
  reject_submission: { feedback: 'Please address the acceptance criteria and resubmit.' },
  answer_coder: { answer: 'Go with your proposal and note the decision in your submission summary.' },
  escalate_to_human: { reason: 'This needs a decision from the person supervising the mission.' },
  ask_leader: { question: 'Could you clarify what the task expects?' },
};

/** A leader that read the person's message says it will act on it, quoting its first line. */
function messageReply({ request }: RoleInput): DraftBlock[] {
  const said = /Message from the person: (.*)/.exec(promptText(request))?.[1]?.trim() ?? '';
  const gist = said.length > 80 ? `${said.slice(0, 79)}…` : said;
  return [call('reply_to_person', { reply: gist ? `Understood: "${gist}". The team will work with that in mind.` : 'Understood.' })];
}

/** The blocks of the reply to `input.request`. */
export function draftReply(input: RoleInput): DraftBlock[] {
  const offered = toolNames(input.request);
  const choice = input.request.tool_choice;
  if (offered.length === 0 || choice?.type === 'none') return textReply(input);

  const role = roleOf(offered);
  const blocks =
    role === 'planning'
      ? planningReply(input)
      : role === 'coding'
        ? codingReply(input)
        : role === 'review'
          ? reviewReply(input)
          : role === 'escalation'
            ? escalationReply(input)
            : role === 'resolution'
              ? resolutionReply(input)
              : role === 'message'
                ? messageReply(input)
                : role === 'director'
                  ? directorReply(input)
                  : role === 'result_summary'
                    ? resultSummaryReply(input)
                    : textReply(input);
  // Never call a tool that was not offered: the engine would answer with an error.
  const allowed = blocks.filter((b) => b.type === 'text' || offered.includes(b.name));

  if (choice?.type === 'tool') {
    // A forced tool call comes without prose, as from the API.
    const forced = allowed.filter((b) => b.type === 'tool_use' && b.name === choice.name);
    if (forced.length > 0) return forced;
    return [call(choice.name, FORCED_DEFAULTS[choice.name] ?? {})];
  }
  if (choice?.type === 'any' && !allowed.some((b) => b.type === 'tool_use')) {
    const name = offered.find((n) => n in FORCED_DEFAULTS) ?? offered[0] ?? '';
    return [call(name, FORCED_DEFAULTS[name] ?? {})];
  }
  return allowed.length > 0 ? allowed : [say('Nothing further to do.')];
}
