import './team-steering.css';
import { useEffect, useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AgentView, MissionTeamView, MissionView } from '../../../../src/shared/mission.js';
import { STEERING_MESSAGE_MAX, TEAM_PRIORITY_LEVELS, priorityLabel } from '../../../../src/shared/steering.js';
import { formatDateTime } from '../../lib/format.js';
import { entityKey, useStore } from '../../store/index.js';
import { NoticeBar } from '../../ui/notice-bar.js';
import { teamTitle } from '../../../../src/shared/team-label.js';

const STEERABLE = ['planning', 'awaiting_plan_approval', 'running', 'paused', 'integrating'];
const STAFFABLE = ['planning', 'awaiting_plan_approval', 'running', 'paused'];
const TERMINAL = ['done', 'killed', 'failed'];

/** Why a coder cannot be removed now, or null when it can. */
function removeBlocker(coder: AgentView): string | null {
  if (TERMINAL.includes(coder.state)) return `${coder.name} is ${coder.state}`;
  if (coder.currentTaskId) return `${coder.name} holds a task`;
  if (coder.state !== 'idle') return `${coder.name} is ${coder.state.replace(/_/g, ' ')}`;
  return null;
}

/**
 * Steering a running mission, one card per team: a message to its leader (read at its
 * next turn), its priority (its share of the rate limit), pause and resume, and coders
 * added or removed. Every control is a plain button, select or text box, so all of it is
 * reachable by keyboard; Ctrl+Enter (⌘+Enter) sends a message.
 */
export function TeamSteering({ mission, teams }: { mission: MissionView; teams: MissionTeamView[] }) {
  const loadMessages = useStore((s) => s.loadSteeringMessages);
  const notice = useStore((s) => s.steeringNotice[mission.id] ?? null);
  const dismiss = useStore((s) => s.dismissSteeringNotice);
  useEffect(() => {
    void loadMessages(mission.id);
  }, [loadMessages, mission.id, mission.state]);
  if (!STEERABLE.includes(mission.state)) return null;
  return (
    <>
      <NoticeBar notice={notice} onDismiss={() => dismiss(mission.id)} />
      <div className="steering-grid">
        {teams.map((team) => (
          <TeamCard key={team.id} mission={mission} team={team} />
        ))}
      </div>
    </>
  );
}

function TeamCard({ mission, team }: { mission: MissionView; team: MissionTeamView }) {
  const prefix = entityKey(mission.id, '');
  const agents = useStore(
    useShallow((s) =>
      Object.entries(s.agents)
        .filter(([key, a]) => key.startsWith(prefix) && a.teamId === team.id)
        .map(([, a]) => a),
    ),
  );
  const messages = useStore(useShallow((s) => (s.steeringMessages[mission.id] ?? []).filter((m) => m.teamId === team.id)));
  const busy = useStore((s) => s.steeringBusy[entityKey(mission.id, team.id)]);
  const { messageLeader, setTeamPriority, setTeamPaused, addCoder } = useStore(
    useShallow((s) => ({ messageLeader: s.messageLeader, setTeamPriority: s.setTeamPriority, setTeamPaused: s.setTeamPaused, addCoder: s.addCoder })),
  );
  const [text, setText] = useState('');
  const [coderName, setCoderName] = useState('');
  const ids = useId();
  const leader = agents.find((a) => a.role === 'leader');
  const coders = agents.filter((a) => a.role === 'coder');
  const staffable = STAFFABLE.includes(mission.state);
  const levels = TEAM_PRIORITY_LEVELS.some((l) => l.weight === team.priorityWeight)
    ? TEAM_PRIORITY_LEVELS
    : [...TEAM_PRIORITY_LEVELS, { label: priorityLabel(team.priorityWeight), weight: team.priorityWeight }];

  const send = async () => {
    if (text.trim() === '') return;
    if (await messageLeader(mission.id, team.id, text)) setText('');
  };

  return (
    <section className="card steering-card" aria-labelledby={`${ids}-title`}>
      <header className="steering-head">
        <h4 className="card-title" id={`${ids}-title`}>
          {teamTitle(team.name)}
        </h4>
        {team.paused ? <span className="badge badge-warn">Paused</span> : null}
        <button
          type="button"
          className={`btn btn-small${team.paused ? ' btn-primary' : ''}`}
          disabled={!!busy}
          onClick={() => void setTeamPaused(mission.id, team.id, !team.paused)}
        >
          {team.paused ? 'Resume team' : 'Pause team'}
        </button>
      </header>

      <div className="field">
        <label className="field-label" htmlFor={`${ids}-priority`}>
          Priority
        </label>
        <select
          id={`${ids}-priority`}
          className="input"
          value={String(team.priorityWeight)}
          disabled={!!busy}
          aria-describedby={`${ids}-priority-hint`}
          onChange={(e) => void setTeamPriority(mission.id, team.id, Number(e.target.value))}
        >
          {levels.map((l) => (
            <option key={l.weight} value={String(l.weight)}>
              {priorityLabel(l.weight)}
            </option>
          ))}
        </select>
        <span className="field-hint" id={`${ids}-priority-hint`}>
          Its share of the rate limit against the other busy teams.
        </span>
      </div>

      <div className="field">
        <label className="field-label" htmlFor={`${ids}-message`}>
          Message to {leader?.name ?? 'the leader'}
        </label>
        <textarea
          id={`${ids}-message`}
          className="input"
          rows={2}
          maxLength={STEERING_MESSAGE_MAX}
          value={text}
          placeholder="Read at its next turn"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <div className="steering-row">
          <button type="button" className="btn btn-small btn-primary" disabled={!!busy || text.trim() === ''} onClick={() => void send()}>
            {busy?.startsWith('send') ? 'Sending…' : 'Send'}
          </button>
          <span className="field-hint">Ctrl+Enter sends.</span>
        </div>
        {messages.length > 0 ? (
          <ul className="steering-messages" aria-label={`Messages to ${teamTitle(team.name)}`}>
            {messages.slice(-3).map((m) => (
              <li key={m.id}>
                <span className="steering-text">{m.text.length > 140 ? `${m.text.slice(0, 139)}…` : m.text}</span>{' '}
                <span className="muted">{m.deliveredAt ? `read ${formatDateTime(m.deliveredAt)}` : 'waiting for its next turn'}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>

      <div className="field">
        <span className="field-label" id={`${ids}-coders`}>
          Coders
        </span>
        <ul className="steering-coders" aria-labelledby={`${ids}-coders`}>
          {coders.map((c) => (
            <CoderRow key={c.id} missionId={mission.id} coder={c} staffable={staffable} />
          ))}
        </ul>
        {staffable ? (
          <div className="steering-row">
            <label className="visually-hidden" htmlFor={`${ids}-coder-name`}>
              New coder's name (optional)
            </label>
            <input
              id={`${ids}-coder-name`}
              className="input"
              value={coderName}
              maxLength={64}
              placeholder="Name (optional)"
              onChange={(e) => setCoderName(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void addCoder(mission.id, team.id, coderName).then((ok) => ok && setCoderName(''));
                }
              }}
            />
            <button
              type="button"
              className="btn btn-small"
              disabled={!!busy}
              onClick={() => void addCoder(mission.id, team.id, coderName).then((ok) => ok && setCoderName(''))}
            >
              {busy?.startsWith('add') ? 'Adding…' : 'Add coder'}
            </button>
          </div>
        ) : null}
      </div>
    </section>
  );
}

function CoderRow({ missionId, coder, staffable }: { missionId: string; coder: AgentView; staffable: boolean }) {
  const busy = useStore((s) => s.steeringBusy[entityKey(missionId, coder.id)]);
  const remove = useStore((s) => s.removeCoder);
  const blocker = removeBlocker(coder);
  const gone = TERMINAL.includes(coder.state);
  return (
    <li className="steering-coder">
      <span>{coder.name}</span> <span className="muted">{coder.state.replace(/_/g, ' ')}</span>
      {staffable && !gone ? (
        <button
          type="button"
          className="btn btn-small btn-danger-ghost"
          disabled={!!busy}
          // Not disabled while it works: a click then says why it cannot go yet (the engine's words).
          title={blocker ? `${blocker}: only an idle coder can be removed` : `Remove ${coder.name} and its worktree`}
          aria-label={`Remove ${coder.name}`}
          onClick={() => void remove(missionId, coder.id)}
        >
          {busy ? 'Removing…' : 'Remove'}
        </button>
      ) : null}
    </li>
  );
}
