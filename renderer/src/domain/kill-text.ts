import type { AgentView, TaskView } from '../../../src/shared/mission.js';
import { teamTitle } from '../../../src/shared/team-label.js';
import { BUSY_AGENT_STATES, FINAL_AGENT_STATES } from './labels.js';

/**
 * What each kill loses and keeps, said before it happens. The engine's behaviour is
 * the source: a kill aborts the call in flight (whose partial usage the gateway still
 * bills and records), returns an unfinished task to ready, and never deletes a
 * worktree, a branch or a transcript. A killed agent stays stopped unless its team (or
 * the mission) is left unable to go on: then the Inbox asks, and approving restarts it.
 */
export interface KillText {
  title: string;
  lost: string[];
  kept: string[];
  confirm: string;
}

export function killAgentText(agent: AgentView, task: TaskView | undefined): KillText {
  const lost: string[] = [];
  if (BUSY_AGENT_STATES.includes(agent.state)) {
    lost.push('The call in flight is aborted; its partial usage is still billed and recorded.');
  } else {
    lost.push(`It is ${agent.state === 'idle' ? 'idle' : 'not in a model call'}, so no call is cut short.`);
  }
  if (task && !['submitted', 'reviewed', 'merged', 'cancelled', 'dead_letter'].includes(task.state)) {
    lost.push(`Its task “${task.title}” returns to ready for another coder; uncommitted edits are not part of it.`);
  } else if (task) {
    lost.push(`Its submitted task “${task.title}” stays with the reviewer.`);
  }
  if (agent.state === 'waiting_escalation') lost.push('Its open escalation is cancelled.');
  if (agent.role === 'leader') lost.push('Its team has no leader to review work or answer questions.');
  lost.push(
    'It stays stopped, unless its team is left without the agents its unfinished work needs: then the Inbox asks you, and approving restarts it.',
  );
  const kept = ['Its transcript, tokens and cost stay in the ledger.'];
  if (agent.role === 'coder') kept.unshift('The worktree and branch are kept, with everything committed on them.');
  return { title: `Kill ${agent.name}?`, lost, kept, confirm: 'Kill agent' };
}

export function killTeamText(teamName: string, agents: readonly AgentView[]): KillText {
  const live = agents.filter((a) => !FINAL_AGENT_STATES.includes(a.state));
  const busy = live.filter((a) => BUSY_AGENT_STATES.includes(a.state)).length;
  return {
    title: `Kill ${teamTitle(teamName)}?`,
    lost: [
      `${live.length} ${live.length === 1 ? 'agent stops' : 'agents stop'}; with work left, the Inbox asks whether to restart them or fail the mission.`,
      busy > 0
        ? `${busy} ${busy === 1 ? 'call in flight is' : 'calls in flight are'} aborted; partial usage is still billed and recorded.`
        : 'No call is in flight, so none is cut short.',
      'Unfinished tasks return to ready, with no one in this team left to do them.',
    ],
    kept: ['Worktrees, branches and work already merged are kept.', 'Transcripts, tokens and costs stay in the ledger.'],
    confirm: 'Kill team',
  };
}

export function killIdleText(scope: string, idle: number): KillText {
  return {
    title: `Stop idle agents in ${scope}?`,
    lost: [
      `Of the ${idle} idle ${idle === 1 ? 'agent' : 'agents'}, those holding no task and not needed by their team stop.`,
      'Agents waiting for a plan, a decision or the teams before them are not idle and stay; so do leaders while their team has unfinished work, and coders while tasks wait to be done.',
    ],
    kept: ['Idle agents have no call in flight: nothing is aborted and nothing more is billed.', 'Worktrees, branches and transcripts are kept.'],
    confirm: 'Stop idle agents',
  };
}

export function cancelMissionText(missionName: string, baseBranch: string, live: number, busy: number): KillText {
  return {
    title: `Cancel “${missionName}”?`,
    lost: [
      `Every agent stops (${live} still running).`,
      busy > 0
        ? `${busy} ${busy === 1 ? 'call in flight is' : 'calls in flight are'} aborted; partial usage is still billed and recorded.`
        : 'No call is in flight, so none is cut short.',
      'Unfinished tasks and open escalations are cancelled. A cancelled mission cannot be resumed.',
    ],
    kept: [
      `Worktrees and branches are kept; nothing is merged into ${baseBranch}.`,
      'Transcripts, tokens and costs stay in the ledger.',
    ],
    confirm: 'Cancel mission',
  };
}
