import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AgentDiff } from '../../../../src/shared/contract/agents.js';
import type { AgentView, TaskView } from '../../../../src/shared/mission.js';
import { formatUsd } from '../../../../src/shared/money.js';
import { isLive } from '../../domain/agent-query.js';
import { killAgentText } from '../../domain/kill-text.js';
import { ROLE_NAMES, TASK_STATE_LABELS } from '../../domain/labels.js';
import { conversationTitle, toTranscriptMessages, type TranscriptItem } from '../../domain/transcript-view.js';
import { formatDateTime, formatTokens } from '../../lib/format.js';
import { entityKey, useStore, type AgentDetailState } from '../../store/index.js';
import { StateBadge } from '../missions/state-badge.js';
import { AgentStateBadge, IdleTime } from './agent-cells.js';
import { KillDialog } from './kill-dialog.js';
import { initiallyOpen } from '../review/files.js';
import { DiffViewer } from '../review/lazy-diff-viewer.js';
import { FileList } from '../review/file-list.js';

type Tab = 'transcript' | 'task' | 'diff';
// Rendering thousands of messages at once would stall the drawer; older ones wait for a click.
const SHOWN_AT_FIRST = 200;

function Item({ item }: { item: TranscriptItem }) {
  switch (item.kind) {
    case 'text':
      return <div className="tx-text">{item.text}</div>;
    case 'tool_use':
      return (
        <details className="tx-tool">
          <summary>
            <span className="tx-tool-arrow" aria-hidden="true">
              →
            </span>{' '}
            Called <code>{item.name}</code>
            {item.preview ? <span className="tx-preview"> {item.preview}</span> : null}
          </summary>
          <pre className="tx-pre">{item.input}</pre>
        </details>
      );
    case 'tool_result':
      return (
        <details className={`tx-tool tx-result${item.isError ? ' tx-error' : ''}`}>
          <summary>
            <span className="tx-tool-arrow" aria-hidden="true">
              ←
            </span>{' '}
            {item.isError ? 'Error from' : 'Result of'} <code>{item.toolName ?? 'a tool'}</code>
            {item.preview ? <span className="tx-preview"> {item.preview}</span> : null}
          </summary>
          <pre className="tx-pre">{item.text || '(empty)'}</pre>
        </details>
      );
    case 'other':
      return <pre className="tx-pre">{item.text}</pre>;
  }
}

function Transcript({ detail, agent }: { detail: AgentDetailState; agent: AgentView | undefined }) {
  const tasks = useStore((s) => s.tasks);
  const [showAll, setShowAll] = useState(false);
  const messages = useMemo(() => toTranscriptMessages(detail.transcript), [detail.transcript]);
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const label = (taskId: string) => {
    const t = tasks[entityKey(detail.missionId, taskId)];
    return t ? `${t.key} “${t.title}”` : undefined;
  };

  // Follow the tail while the person is at the bottom; leave them be if they scrolled up.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages.length]);

  if (detail.transcriptStatus === 'loading' && messages.length === 0) {
    return (
      <div className="placeholder drawer-pad" role="status">
        <span className="spinner" aria-hidden="true" /> Loading the transcript…
      </div>
    );
  }
  if (detail.transcriptStatus === 'error' && messages.length === 0) {
    return (
      <div className="inline-error drawer-pad" role="alert">
        Could not load the transcript: {detail.transcriptError}
      </div>
    );
  }
  if (messages.length === 0) {
    return <p className="muted drawer-pad">No messages yet. The transcript fills in as soon as {agent?.name ?? 'the agent'} gets its first job.</p>;
  }
  const hidden = showAll ? 0 : Math.max(0, messages.length - SHOWN_AT_FIRST);
  return (
    <div
      ref={listRef}
      className="transcript"
      role="log"
      aria-label="Transcript"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {hidden > 0 ? (
        <button type="button" className="btn btn-small tx-more" onClick={() => setShowAll(true)}>
          Show {hidden} earlier messages
        </button>
      ) : null}
      {messages.slice(hidden).map((m) => (
        <div key={m.id}>
          {m.startsConversation ? <div className="tx-divider">{conversationTitle(m.conversation, label)}</div> : null}
          <article className={`tx-message tx-${m.summary ? 'summary' : m.role}`} aria-label={`${m.role === 'assistant' ? agent?.name ?? 'Agent' : 'Engine'} message`}>
            <header className="tx-head">
              <span className="tx-who">{m.summary ? 'Summary of earlier work' : m.role === 'assistant' ? (agent?.name ?? 'Agent') : 'Engine'}</span>
              <time className="muted" dateTime={m.createdAt}>
                {new Date(m.createdAt).toLocaleTimeString()}
              </time>
            </header>
            {m.items.length === 0 ? <div className="muted">(empty)</div> : m.items.map((item, i) => <Item key={i} item={item} />)}
          </article>
        </div>
      ))}
    </div>
  );
}

function TaskPanel({ task, agent }: { task: TaskView | undefined; agent: AgentView | undefined }) {
  if (!task) {
    return (
      <p className="muted drawer-pad">
        {agent?.role === 'leader'
          ? 'Leaders plan and review; they hold no task of their own.'
          : `${agent?.name ?? 'This agent'} holds no task right now.`}
      </p>
    );
  }
  const state = TASK_STATE_LABELS[task.state];
  return (
    <div className="drawer-pad task-panel">
      <div className="task-panel-head">
        <span className="mono-small">{task.key}</span>
        <h4>{task.title}</h4>
        <StateBadge label={state.label} tone={state.tone} />
      </div>
      {task.description ? <p className="task-desc">{task.description}</p> : null}
      {task.acceptanceCriteria.length > 0 ? (
        <>
          <h5>Acceptance criteria</h5>
          <ul>
            {task.acceptanceCriteria.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </>
      ) : null}
      <dl className="info-list compact-info">
        <dt>Files it owns</dt>
        <dd className="mono-small">{task.owns.join(', ') || '—'}</dd>
        <dt>Depends on</dt>
        <dd>{task.dependsOn.join(', ') || '—'}</dd>
        <dt>Attempts</dt>
        <dd>{task.attempts}</dd>
        <dt>Updated</dt>
        <dd>{formatDateTime(task.updatedAt)}</dd>
      </dl>
      {task.feedback ? (
        <>
          <h5>Reviewer feedback</h5>
          <p className="task-desc">{task.feedback}</p>
        </>
      ) : null}
      {task.submissionSummary ? (
        <>
          <h5>Submission</h5>
          <p className="task-desc">{task.submissionSummary}</p>
        </>
      ) : null}
    </div>
  );
}

function DiffPanel({ detail, agent }: { detail: AgentDetailState; agent: AgentView | undefined }) {
  const loadDiff = useStore((s) => s.loadDiff);
  const isCoder = agent?.role === 'coder';
  useEffect(() => {
    if (isCoder && detail.diffStatus === 'idle') void loadDiff();
  }, [isCoder, detail.diffStatus, loadDiff]);
  if (!isCoder) {
    return <p className="muted drawer-pad">Only coders have a branch of their own; leaders merge their coders' work into the team branch.</p>;
  }
  const diff = detail.diff;
  return (
    <div className="drawer-pad diff-panel review">
      <div className="diff-toolbar">
        <span className="muted">
          {diff ? (
            <>
              {DIFF_MODE[diff.mode]} · <code>{diff.branch}</code> · {diff.files.length} files ·{' '}
              <span className="diff-plus">+{diff.additions}</span> <span className="diff-minus">−{diff.deletions}</span>
            </>
          ) : (
            'The coder’s work in progress, or what it contributed once merged.'
          )}
        </span>
        <button type="button" className="btn btn-small" disabled={detail.diffStatus === 'loading'} onClick={() => void loadDiff()}>
          {detail.diffStatus === 'loading' ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {detail.diffStatus === 'error' ? (
        <div className="inline-error" role="alert">
          Could not load the diff: {detail.diffError}
        </div>
      ) : diff && diff.files.length === 0 ? (
        <p className="muted">Nothing on this branch yet: the coder has not changed a file since its task started, and none of its work is merged.</p>
      ) : diff ? (
        <DrawerDiff diff={diff} />
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the diff…
        </div>
      )}
    </div>
  );
}

const DIFF_MODE: Record<AgentDiff['mode'], string> = {
  'work-in-progress': 'Work in progress',
  contributed: 'Merged work',
  none: 'No work yet',
};

function DrawerDiff({ diff }: { diff: AgentDiff }) {
  const [open, setOpen] = useState<Set<string>>(() => initiallyOpen(diff.changes));
  const [shownFor, setShownFor] = useState(diff);
  if (shownFor !== diff) {
    setShownFor(diff);
    setOpen(initiallyOpen(diff.changes));
  }
  const toggle = (path: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  return (
    <>
      <p className="muted">
        {diff.mode === 'work-in-progress'
          ? diff.uncommitted
            ? 'Against where its task started, with the edits it has not committed yet.'
            : 'Against where its task started.'
          : 'The change its latest merged task brought into the team branch.'}
      </p>
      <FileList files={diff.changes} idPrefix="agent-diff" onOpen={(path) => setOpen((c) => new Set(c).add(path))} />
      <DiffViewer files={diff.changes} idPrefix="agent-diff" open={open} onToggle={toggle} />
      {diff.truncated ? <p className="muted">The diff was cut short at its size limit.</p> : null}
      {diff.commits.length > 0 ? (
        <section aria-label="Contributed commits">
          <h5>Commits it contributed</h5>
          <ul className="review-commits">
            {diff.commits.map((c) => (
              <li key={c.sha}>
                <code>{c.sha.slice(0, 10)}</code> {c.subject} <span className="muted">· {formatDateTime(c.at)}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function DrawerBody({ detail }: { detail: AgentDetailState }) {
  const key = entityKey(detail.missionId, detail.agentId);
  const agent = useStore((s) => s.agents[key]);
  const task = useStore((s) => (agent?.currentTaskId ? s.tasks[entityKey(agent.missionId, agent.currentTaskId)] : undefined));
  const teamName = useStore((s) => s.missionDetails[detail.missionId]?.teams.find((t) => t.id === agent?.teamId)?.name);
  const missionName = useStore((s) => s.missions[detail.missionId]?.name);
  const killing = useStore((s) => s.killing.includes(key));
  const { closeAgent, killAgent, refreshTranscript } = useStore(
    useShallow((s) => ({ closeAgent: s.closeAgent, killAgent: s.killAgent, refreshTranscript: s.refreshTranscript })),
  );
  const [tab, setTab] = useState<Tab>('transcript');
  const [confirmKill, setConfirmKill] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    closeRef.current?.focus();
  }, [key]);

  const tabs: { id: Tab; label: string }[] = [
    { id: 'transcript', label: `Transcript${detail.transcript.length ? ` (${detail.transcript.length})` : ''}` },
    { id: 'task', label: 'Task' },
    { id: 'diff', label: 'Diff' },
  ];
  return (
    <aside
      className="drawer"
      role="dialog"
      aria-modal="false"
      aria-label={`Agent ${agent?.name ?? detail.agentId}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !confirmKill) closeAgent();
      }}
    >
      <header className="drawer-head">
        <div className="drawer-title-row">
          <h3 className="drawer-title">{agent?.name ?? detail.agentId}</h3>
          {agent ? <AgentStateBadge agent={agent} /> : null}
          <span className="drawer-spacer" />
          {agent && isLive(agent) ? (
            <button type="button" className="btn btn-small btn-danger-ghost" disabled={killing} onClick={() => setConfirmKill(true)}>
              Kill agent
            </button>
          ) : null}
          <button ref={closeRef} type="button" className="btn btn-small btn-ghost" aria-label="Close agent details" onClick={closeAgent}>
            ✕
          </button>
        </div>
        {agent ? (
          <>
            <div className="drawer-meta muted">
              {ROLE_NAMES[agent.role]} · {teamName ?? agent.teamId} · {agent.model} · {missionName ?? agent.missionId}
            </div>
            <div className="drawer-stats">
              <span>
                <span className="muted">Tokens</span> {formatTokens(agent.inputTokens)} in / {formatTokens(agent.outputTokens)} out
              </span>
              <span>
                <span className="muted">Cost</span> {formatUsd(agent.costNanoUsd)}
              </span>
              <span>
                <span className="muted">Idle</span> <IdleTime agent={agent} />
              </span>
            </div>
            {agent.stateReason ? <div className="drawer-reason muted">{agent.stateReason}</div> : null}
          </>
        ) : null}
        <div className="tabs" role="tablist" aria-label="Agent details">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`agent-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`agent-panel-${t.id}`}
              className={`tab${tab === t.id ? ' tab-active' : ''}`}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
          {tab === 'transcript' ? (
            <button type="button" className="btn btn-small btn-ghost tabs-action" onClick={() => void refreshTranscript()}>
              Refresh
            </button>
          ) : null}
        </div>
      </header>
      <div className="drawer-body" role="tabpanel" id={`agent-panel-${tab}`} aria-labelledby={`agent-tab-${tab}`}>
        {tab === 'transcript' ? (
          <Transcript key={key} detail={detail} agent={agent} />
        ) : tab === 'task' ? (
          <TaskPanel task={task} agent={agent} />
        ) : (
          <DiffPanel detail={detail} agent={agent} />
        )}
      </div>
      <KillDialog
        text={confirmKill && agent ? killAgentText(agent, task) : null}
        busy={killing}
        onCancel={() => setConfirmKill(false)}
        onConfirm={() => void killAgent(detail.missionId, detail.agentId).then(() => setConfirmKill(false))}
      />
    </aside>
  );
}

/** The open agent's detail beside the page: its transcript (following the tail), task and diff. */
export function AgentDrawer() {
  const detail = useStore((s) => s.agentDetail);
  const closeAgent = useStore((s) => s.closeAgent);
  // The drawer belongs to the page that opened it: leaving the page closes it.
  useEffect(() => closeAgent, [closeAgent]);
  if (!detail) return null;
  return <DrawerBody key={entityKey(detail.missionId, detail.agentId)} detail={detail} />;
}
