import { useShallow } from 'zustand/react/shallow';
import type { MissionTeamView, TaskView } from '../../../../src/shared/mission.js';
import { TASK_STATE_LABELS } from '../../domain/labels.js';
import { foldTeamPlan, planBadge } from '../../domain/plan-fold.js';
import { resolvingTeamIds } from '../../domain/team-conflicts.js';
import { entityKey, useStore } from '../../store/index.js';
import { StateBadge } from './state-badge.js';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Tasks of one mission, by team, in plan order (keys sort naturally: T2 before T10). */
function useMissionTasks(missionId: string): TaskView[] {
  return useStore(
    useShallow((s) =>
      Object.values(s.tasks)
        .filter((t) => t.missionId === missionId)
        .sort((a, b) => collator.compare(a.key, b.key)),
    ),
  );
}

/** Agent names by id for one mission; a plain record so useShallow keeps it stable. */
export function useAgentNames(missionId: string): Record<string, string> {
  return useStore(
    useShallow((s) => {
      const names: Record<string, string> = {};
      const prefix = entityKey(missionId, '');
      for (const [key, agent] of Object.entries(s.agents)) if (key.startsWith(prefix)) names[agent.id] = agent.name;
      return names;
    }),
  );
}

function Dependencies({ task, byKey }: { task: TaskView; byKey: Map<string, TaskView> }) {
  if (task.dependsOn.length === 0) return <span className="muted">—</span>;
  return (
    <span className="dep-list">
      {task.dependsOn.map((key) => {
        const dep = byKey.get(key);
        const done = dep?.state === 'merged';
        return (
          <span
            key={key}
            className={`dep-chip${done ? ' dep-done' : ''}`}
            title={dep ? `${dep.title}: ${TASK_STATE_LABELS[dep.state].label}` : key}
          >
            {done ? '✓ ' : ''}
            {key}
          </span>
        );
      })}
    </span>
  );
}

/** "Waiting for A and B", "Active", "Merged", "Resolving a merge conflict": where a team is in the mission's phases. */
function phaseStateLabel(team: MissionTeamView, teamNames: Record<string, string>, resolving: boolean): string {
  if (resolving) return 'Resolving a merge conflict';
  if (team.phaseState === 'merged') return 'Merged into the mission branch';
  if (team.phaseState === 'active') return 'Active';
  const names = team.after.map((id) => teamNames[id] ?? id);
  return `Waiting for ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}` : (names[0] ?? 'earlier teams')}`;
}

function TeamPlan({
  team,
  tasks: allTasks,
  planRound,
  names,
  teamNames,
  resolving,
}: {
  team: MissionTeamView;
  /** The team's tasks of every plan round. */
  tasks: TaskView[];
  /** The mission's plan round now. */
  planRound: number;
  names: Record<string, string>;
  teamNames: Record<string, string>;
  /** Its leader is resolving a merge conflict now. */
  resolving: boolean;
}) {
  // Only the current plan is rows and progress; tasks of plans sent back are folded away below.
  const { current: tasks, superseded, merged, byKey } = foldTeamPlan(planRound, team, allTasks);
  const badge = planBadge(team, tasks);
  return (
    <section className="card table-card team-plan" aria-label={`Plan of ${team.name}`} data-phase-state={team.phaseState}>
      <header className="team-plan-head">
        <div className="team-plan-title">
          <h4>{team.name}</h4>
          <span className="badge" title={team.after.length > 0 ? `Starts after ${team.after.map((id) => teamNames[id] ?? id).join(', ')}` : 'Starts at once'}>
            Phase {team.phase}
          </span>
          <span
            className={`badge${resolving ? ' badge-accent' : team.phaseState === 'merged' ? ' badge-success' : team.phaseState === 'active' ? ' badge-accent' : ''}`}
            aria-label={`Phase state of ${team.name}`}
          >
            {phaseStateLabel(team, teamNames, resolving)}
          </span>
          {badge ? (
            <span className={`badge${badge.tone === 'plain' ? '' : ` badge-${badge.tone}`}`} aria-label={`Plan of ${team.name}: ${badge.label}`}>
              {badge.label}
            </span>
          ) : null}
        </div>
        <span className="muted">{tasks.length > 0 ? `${merged} of ${tasks.length} merged` : ''}</span>
      </header>
      {team.share ? <p className="team-plan-summary">Share: {team.share}</p> : null}
      {team.planSummary ? <p className="team-plan-summary">{team.planSummary}</p> : null}
      {team.delivery ? (
        <details className="team-plan-summary" aria-label={`Delivered by ${team.name}`}>
          <summary>
            Delivered {team.delivery.files.length} file{team.delivery.files.length === 1 ? '' : 's'}
            {team.mergedCommit ? <span className="mono-small"> at {team.mergedCommit.slice(0, 12)}</span> : null}
          </summary>
          <p className="mono-small">{team.delivery.files.join(', ') || 'No files changed.'}</p>
          <p className="team-delivery-summary">{team.delivery.summary}</p>
        </details>
      ) : null}
      {tasks.length === 0 ? (
        <p className="team-plan-empty muted">
          {team.phaseState === 'waiting'
            ? 'This team plans once the teams it starts after are merged.'
            : team.planState === 'submitted'
              ? 'This plan has no tasks.'
              : 'The leader has not proposed any tasks yet.'}
        </p>
      ) : (
        <table className="table task-table" aria-label={`Tasks of ${team.name}`}>
          <thead>
            <tr>
              <th scope="col" className="task-key-col">
                Key
              </th>
              <th scope="col">Task</th>
              <th scope="col">State</th>
              <th scope="col">Assignee</th>
              <th scope="col">Depends on</th>
              <th scope="col" className="num">
                Tries
              </th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => {
              const state = TASK_STATE_LABELS[task.state];
              return (
                <tr key={task.id} data-state={task.state}>
                  <td className="mono task-key-col">{task.key}</td>
                  <th scope="row" className="task-title-cell">
                    <div className="task-title">{task.title}</div>
                    {task.feedback && task.state !== 'merged' ? (
                      <div className="task-feedback" title={task.feedback}>
                        Feedback: {task.feedback}
                      </div>
                    ) : task.owns.length > 0 ? (
                      <div className="row-description mono-small" title={task.owns.join(', ')}>
                        {task.owns.join(', ')}
                      </div>
                    ) : null}
                  </th>
                  <td>
                    <StateBadge label={state.label} tone={state.tone} pulse={task.state === 'in_progress'} />
                  </td>
                  <td className="nowrap">{task.assignee ? (names[task.assignee] ?? task.assignee) : <span className="muted">—</span>}</td>
                  <td>
                    <Dependencies task={task} byKey={byKey} />
                  </td>
                  <td className="num">{task.attempts}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {superseded.length > 0 ? (
        <details className="team-plan-summary superseded-plan" aria-label={`Plans of ${team.name} sent back`}>
          <summary className="muted">
            {superseded.length} task{superseded.length === 1 ? '' : 's'} of {new Set(superseded.map((t) => t.planRound)).size === 1 ? 'a plan' : 'plans'} sent back (not counted)
          </summary>
          <ul className="superseded-list muted">
            {superseded.map((t) => (
              <li key={t.id}>
                <span className="mono">{t.key}</span> {t.title} · {TASK_STATE_LABELS[t.state].label.toLowerCase()}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

/** The plan: each team's tasks with their state and dependencies, live from tasks:changed. */
export function PlanView({ missionId, teams }: { missionId: string; teams: MissionTeamView[] }) {
  const tasks = useMissionTasks(missionId);
  const names = useAgentNames(missionId);
  const teamNames = Object.fromEntries(teams.map((t) => [t.id, t.name]));
  const resolving = useStore(useShallow((s) => resolvingTeamIds(Object.values(s.escalations), missionId)));
  const planRound = useStore((s) => s.missions[missionId]?.planRound ?? 0);
  return (
    <div className="plan-view">
      {teams.map((team) => (
        <TeamPlan
          key={team.id}
          team={team}
          names={names}
          teamNames={teamNames}
          resolving={resolving.includes(team.id)}
          tasks={tasks.filter((t) => t.teamId === team.id)}
          planRound={planRound}
        />
      ))}
    </div>
  );
}
