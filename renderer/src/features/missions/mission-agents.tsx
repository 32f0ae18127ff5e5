import './mission-agents.css';
import { memo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AgentView, MissionTeamView, TaskView } from '../../../../src/shared/mission.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { isLive } from '../../domain/agent-query.js';
import { killAgentText, killTeamText, type KillText } from '../../domain/kill-text.js';
import { ROLE_NAMES } from '../../domain/labels.js';
import { teamAgentKeys, teamSummary, type TeamSummary } from '../../domain/team-agents.js';
import { formatTokens } from '../../lib/format.js';
import { entityKey, useStore, type StoreState } from '../../store/index.js';
import { AgentStateBadge, IdleTime } from '../agents/agent-cells.js';
import { KillDialog } from '../agents/kill-dialog.js';

/**
 * Above this many agents the teams start collapsed to one summary line each: a thousand
 * table rows cost seconds of style and layout on every batch, while a summary per team
 * still answers "is anything stuck or expensive" at a glance.
 */
export const COLLAPSE_ABOVE = 60;

const EMPTY: readonly string[] = [];

/** What the kill dialog asks about; a team by its members' keys, so the dialog reads them live. */
type Pending =
  | { kind: 'agent'; agent: AgentView; task: TaskView | undefined }
  | { kind: 'team'; team: MissionTeamView; keys: readonly string[] };

/** Opens the kill dialog for one agent or a whole team; stable so rows never re-render for it. */
type AskKill = (pending: Pending) => void;

/**
 * The mission's agents by team, with the kills that fit here: one agent, or a whole team.
 * Subscribes to no agent itself: each team section subscribes to its own member keys and
 * each row to its own agent, so a batch re-renders only the rows whose agent changed.
 */
export const MissionAgents = memo(function MissionAgents({
  missionId,
  teams,
  final,
}: {
  missionId: string;
  teams: MissionTeamView[];
  final: boolean;
}) {
  // A count, not the agents: changes only when agents are added to or dropped from the mission.
  const agentCount = useStore((s) => countMissionAgents(s, missionId));
  const killing = useStore((s) => s.killing);
  const { killAgent, killTeam } = useStore(useShallow((s) => ({ killAgent: s.killAgent, killTeam: s.killTeam })));
  const [pending, setPending] = useState<Pending | null>(null);
  // Only while a team kill is being confirmed; otherwise a constant empty list.
  const teamKeys = pending?.kind === 'team' ? pending.keys : EMPTY;
  const teamMembers = useStore(useShallow((s) => teamKeys.flatMap((k) => s.agents[k] ?? [])));

  let text: KillText | null = null;
  if (pending?.kind === 'agent') text = killAgentText(pending.agent, pending.task);
  else if (pending?.kind === 'team') text = killTeamText(pending.team.name, teamMembers);
  const busyKey =
    pending?.kind === 'agent'
      ? entityKey(missionId, pending.agent.id)
      : pending?.kind === 'team'
        ? `team:${entityKey(missionId, pending.team.id)}`
        : '';

  const collapsedByDefault = agentCount > COLLAPSE_ABOVE;
  return (
    <div className="mission-agents">
      {teams.map((team) => (
        <TeamAgents
          // Remounting on the threshold resets each team's open state to the new default.
          key={`${team.id}:${collapsedByDefault ? 'c' : 'o'}`}
          missionId={missionId}
          team={team}
          final={final}
          collapsedByDefault={collapsedByDefault}
          onKill={setPending}
        />
      ))}
      <KillDialog
        text={text}
        busy={killing.includes(busyKey)}
        onCancel={() => setPending(null)}
        onConfirm={() => {
          const p = pending;
          if (!p) return;
          const done = p.kind === 'agent' ? killAgent(missionId, p.agent.id) : killTeam(missionId, p.team.id);
          void done.then(() => setPending(null));
        }}
      />
    </div>
  );
});

function countMissionAgents(s: StoreState, missionId: string): number {
  let n = 0;
  for (const keys of teamAgentKeys(s.agents, missionId).values()) n += keys.length;
  return n;
}

const TeamAgents = memo(function TeamAgents({
  missionId,
  team,
  final,
  collapsedByDefault,
  onKill,
}: {
  missionId: string;
  team: MissionTeamView;
  final: boolean;
  collapsedByDefault: boolean;
  onKill: AskKill;
}) {
  const [open, setOpen] = useState(!collapsedByDefault);
  // Keys keep their identity across batches (useShallow), so the row list re-renders only on membership changes.
  const keys = useStore(useShallow((s) => teamAgentKeys(s.agents, missionId).get(team.id) ?? EMPTY));
  const summary = useStore(useShallow((s): TeamSummary => teamSummary(s.agents, keys)));
  const bodyId = `team-agents-${missionId}-${team.id}`;

  return (
    <section className="card table-card" aria-label={`Agents of ${team.name}`}>
      <header className="team-plan-head">
        <div className="team-plan-title">
          {/* A disclosure: the team name is the button, its heading stays a heading. */}
          <h4>
            <button
              type="button"
              className="link-button team-toggle"
              aria-expanded={open}
              aria-controls={open ? bodyId : undefined}
              onClick={() => setOpen((v) => !v)}
            >
              <span aria-hidden="true" className="team-toggle-caret">
                {open ? '▾' : '▸'}
              </span>
              {team.name}
            </button>
          </h4>
          <span className="muted">
            {summary.live} of {summary.total} running · {formatUsd(summary.costNanoUsd)}
          </span>
          <span className="badge" aria-label={`Phase of ${team.name}`}>
            Phase {team.phase}
            {team.phaseState === 'waiting' ? ' · waiting for earlier teams' : team.phaseState === 'merged' ? ' · merged' : ''}
          </span>
          {!open && summary.states ? <span className="muted team-state-counts">{summary.states}</span> : null}
        </div>
        {!final && summary.live > 0 ? (
          <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => onKill({ kind: 'team', team, keys })}>
            Kill team
          </button>
        ) : null}
      </header>
      {/* Rows exist only while open: a collapsed team costs one header, however many agents it has. */}
      {open ? (
        <table id={bodyId} className="table compact-table" aria-label={`Agents of ${team.name}`}>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">State</th>
              <th scope="col">Current task</th>
              <th scope="col" className="num nowrap-head">
                In / out
              </th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Idle
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <AgentRow key={key} missionId={missionId} agentKey={key} onKill={onKill} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
});

/** One agent's row: subscribes to that agent, its task and its kill only. */
const AgentRow = memo(function AgentRow({ missionId, agentKey, onKill }: { missionId: string; agentKey: string; onKill: AskKill }) {
  const agent = useStore((s) => s.agents[agentKey]);
  const task = useStore((s) => (agent?.currentTaskId ? s.tasks[entityKey(missionId, agent.currentTaskId)] : undefined));
  const killing = useStore((s) => s.killing.includes(agentKey));
  const openAgent = useStore((s) => s.openAgent);
  // Gone between the team's key list and this render (a refresh dropped it): nothing to show.
  if (!agent) return null;
  return (
    <tr>
      <th scope="row">
        <button type="button" className="link-button" onClick={() => openAgent(missionId, agent.id)}>
          {agent.name}
        </button>
        <div className="row-description">
          {ROLE_NAMES[agent.role]} · {agent.model}
        </div>
      </th>
      <td>
        <AgentStateBadge agent={agent} />
      </td>
      <td className="task-cell" title={task?.title}>
        {task ? (
          <>
            <span className="mono-small">{task.key}</span> {task.title}
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="num nowrap">
        {formatTokens(agent.inputTokens)} / {formatTokens(agent.outputTokens)}
      </td>
      <td className="num">{formatUsd(agent.costNanoUsd)}</td>
      <td className="num">
        <IdleTime agent={agent} />
      </td>
      <td className="row-actions">
        {isLive(agent) ? (
          <button
            type="button"
            className="btn btn-small btn-danger-ghost"
            aria-label={`Kill ${agent.name}`}
            disabled={killing}
            onClick={() => onKill({ kind: 'agent', agent, task })}
          >
            Kill
          </button>
        ) : null}
      </td>
    </tr>
  );
});
