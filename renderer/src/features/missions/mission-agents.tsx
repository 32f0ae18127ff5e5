import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatUsd } from '../../../../src/shared/money.js';
import type { AgentView, MissionTeamView } from '../../../../src/shared/mission.js';
import { entityKey, useStore } from '../../store/index.js';
import { AgentStateBadge, IdleTime } from '../agents/agent-cells.js';
import { isLive } from '../agents/agent-query.js';
import { KillDialog } from '../agents/kill-dialog.js';
import { killAgentText, killTeamText, type KillText } from '../agents/kill-text.js';
import { formatTokens } from './format.js';
import { ROLE_NAMES } from './labels.js';

type Pending = { kind: 'agent'; agent: AgentView } | { kind: 'team'; team: MissionTeamView; agents: AgentView[] };

/** The mission's agents by team, with the kills that fit here: one agent, or a whole team. */
export function MissionAgents({ missionId, teams, final }: { missionId: string; teams: MissionTeamView[]; final: boolean }) {
  const agents = useStore(
    useShallow((s) => Object.entries(s.agents).filter(([key]) => key.startsWith(entityKey(missionId, ''))).map(([, a]) => a)),
  );
  const tasks = useStore((s) => s.tasks);
  const killing = useStore((s) => s.killing);
  const { killAgent, killTeam, openAgent } = useStore(
    useShallow((s) => ({ killAgent: s.killAgent, killTeam: s.killTeam, openAgent: s.openAgent })),
  );
  const [pending, setPending] = useState<Pending | null>(null);

  const taskOf = (a: AgentView) => (a.currentTaskId ? tasks[entityKey(missionId, a.currentTaskId)] : undefined);
  let text: KillText | null = null;
  if (pending?.kind === 'agent') text = killAgentText(pending.agent, taskOf(pending.agent));
  else if (pending?.kind === 'team') text = killTeamText(pending.team.name, pending.agents);
  const busyKey =
    pending?.kind === 'agent'
      ? entityKey(missionId, pending.agent.id)
      : pending?.kind === 'team'
        ? `team:${entityKey(missionId, pending.team.id)}`
        : '';

  return (
    <div className="mission-agents">
      {teams.map((team) => {
        const members = agents.filter((a) => a.teamId === team.id);
        const live = members.filter(isLive);
        return (
          <section key={team.id} className="card table-card" aria-label={`Agents of ${team.name}`}>
            <header className="team-plan-head">
              <div className="team-plan-title">
                <h4>{team.name}</h4>
                <span className="muted">
                  {live.length} of {members.length} running · {formatUsd(members.reduce((n, a) => n + a.costNanoUsd, 0))}
                </span>
              </div>
              {!final && live.length > 0 ? (
                <button
                  type="button"
                  className="btn btn-small btn-danger-ghost"
                  onClick={() => setPending({ kind: 'team', team, agents: members })}
                >
                  Kill team
                </button>
              ) : null}
            </header>
            <table className="table compact-table" aria-label={`Agents of ${team.name}`}>
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
                {members.map((agent) => {
                  const task = taskOf(agent);
                  return (
                    <tr key={agent.id}>
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
                            disabled={killing.includes(entityKey(missionId, agent.id))}
                            onClick={() => setPending({ kind: 'agent', agent })}
                          >
                            Kill
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        );
      })}
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
}
