import {
  closestCenter,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  type UniqueIdentifier,
} from '@dnd-kit/core';
import { rectSortingStrategy, SortableContext, sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { estimateDesign, pricesAt } from '../../../../src/shared/design-estimate.js';
import { checkDesign, type DesignFix, type DesignIssue } from '../../../../src/shared/design-rules.js';
import { addTeam, boardOrder, parseBudget, ROLE_LABELS, type DesignForm } from '../../domain/design-form.js';
import {
  addAgentAt,
  agentById,
  applyFix,
  duplicateTeam,
  moveAgent,
  moveTeam,
  placementProblem,
  teamOfAgent,
} from '../../domain/design-ops.js';
import { plural } from '../../lib/format.js';
import { useStore } from '../../store/index.js';
import { AgentInspector } from './agent-inspector.js';
import { shortModel, type Edit } from './agent-row.js';
import { DesignChecks } from './design-checks.js';
import { dragData, keyboardTarget, teamDndId, type DragData } from './dnd.js';
import { CONFIGURED_LIMITS, EstimatePanel } from './estimate-panel.js';
import { Palette } from './palette.js';
import { TeamCard } from './team-card.js';
import { TeamInspector } from './team-inspector.js';
import { useLedgerMeasures } from './use-ledger-measures.js';
import { formPhases } from '../../domain/design-phases.js';

/** What each kind of drag may land on. */
const ACCEPTS: Record<DragData['type'], readonly DragData['type'][]> = {
  agent: ['agent', 'team'],
  palette: ['agent', 'team'],
  team: ['team', 'duplicate'],
  duplicate: [],
};

/**
 * Pointer first (what is under the cursor, the most specific target winning: an agent
 * row over the team card around it), then the nearest centre, which is what keyboard
 * moves rely on since they have no pointer.
 */
const collide: CollisionDetection = (args) => {
  const type = dragData(args.active.data.current)?.type;
  const accepted = type ? ACCEPTS[type] : [];
  const candidates = args.droppableContainers.filter((c) => {
    const t = dragData(c.data.current)?.type;
    return t !== undefined && accepted.includes(t);
  });
  const scoped = { ...args, droppableContainers: candidates };
  const within = pointerWithin(scoped);
  if (within.length > 0) {
    const specific = within.filter(
      (c) => dragData(c.data?.droppableContainer?.data.current)?.type !== 'team',
    );
    return type !== 'team' && specific.length > 0 ? specific : within;
  }
  if (args.pointerCoordinates) return [];
  // Keyboard: the nearest centre among the places a keyboard move may land.
  return closestCenter({
    ...args,
    droppableContainers: candidates.filter((c) => keyboardTarget(type, dragData(c.data.current))),
  });
};

/** dnd-kit's sortable arrow-key stepping, over only the droppables this drag may land on. */
const keyboardCoordinates: KeyboardCoordinateGetter = (event, args) => {
  const { context } = args;
  const type = dragData(context.active?.data.current)?.type;
  const all = context.droppableContainers;
  const scoped = {
    get: (id: UniqueIdentifier) => all.get(id),
    getEnabled: () =>
      all
        .getEnabled()
        .filter((c) => c.id === context.active?.id || keyboardTarget(type, dragData(c.data.current))),
  } as unknown as typeof all;
  return sortableKeyboardCoordinates(event, {
    ...args,
    context: { ...context, droppableContainers: scoped },
  });
};

interface DropTarget {
  teamId: string;
  /** Index among the target team's agents; undefined = at the end. */
  index?: number;
}

function dropTarget(form: DesignForm, over: DragData | undefined): DropTarget | null {
  if (!over) return null;
  if (over.type === 'team') return { teamId: over.teamId };
  if (over.type === 'agent') {
    const team = form.teams.find((t) => t.id === over.teamId);
    const index = team?.agents.findIndex((a) => a.id === over.agentId) ?? -1;
    return { teamId: over.teamId, ...(index >= 0 ? { index } : {}) };
  }
  return null;
}

export function Designer({ form }: { form: DesignForm }) {
  const { editDesign, undo, redo, loadDesignerSettings, loadRuntimes } = useStore(
    useShallow((s) => ({
      editDesign: s.editDesign,
      undo: s.undo,
      redo: s.redo,
      loadDesignerSettings: s.loadDesignerSettings,
      loadRuntimes: s.loadRuntimes,
    })),
  );
  const settings = useStore((s) => s.designerSettings);
  const runtimes = useStore((s) => s.runtimes);
  const runtimesStatus = useStore((s) => s.runtimesStatus);
  const provider = useStore((s) => s.info?.provider.id);
  const { measured, roleCosts } = useLedgerMeasures();
  const [selected, setSelectedAgent] = useState<string | null>(null);
  // The side panel edits one thing: an agent, or a team's brief and phase.
  const [selectedTeamId, setSelectedTeamId] = useState<string | null>(null);
  const setSelected = (agentId: string | null) => {
    setSelectedAgent(agentId);
    if (agentId !== null) setSelectedTeamId(null);
  };
  const selectTeam = (teamId: string | null) => {
    setSelectedTeamId(teamId);
    if (teamId !== null) setSelectedAgent(null);
  };
  const [dragging, setDragging] = useState<DragData | null>(null);
  const [refusedTeam, setRefusedTeam] = useState<string | null>(null);
  const [limitsChoice, setLimitsChoice] = useState(CONFIGURED_LIMITS);
  const [message, setMessage] = useState('');
  // Prices and retirement dates as of when the designer opened: stable across renders.
  const [openedAt] = useState(() => Date.now());
  // dnd-kit's end event carries no modifier keys: remember Alt from the pointer moves.
  const altHeld = useRef(false);

  useEffect(() => {
    if (!dragging) return;
    const track = (event: KeyboardEvent | PointerEvent) => {
      altHeld.current = event.altKey;
    };
    window.addEventListener('keydown', track);
    window.addEventListener('keyup', track);
    window.addEventListener('pointermove', track);
    return () => {
      window.removeEventListener('keydown', track);
      window.removeEventListener('keyup', track);
      window.removeEventListener('pointermove', track);
    };
  }, [dragging]);

  useEffect(() => {
    if (settings.status === 'idle') void loadDesignerSettings();
  }, [settings.status, loadDesignerSettings]);

  useEffect(() => {
    if (runtimesStatus === 'idle') void loadRuntimes();
  }, [runtimesStatus, loadRuntimes]);

  // Ctrl/Cmd+Z and Shift+Ctrl/Cmd+Z (or Ctrl+Y) anywhere in the editor, except inside a
  // text field, where the browser's own undo of the typing is what a person expects.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key !== 'z' && key !== 'y') return;
      const target = event.target as HTMLElement | null;
      if (
        target &&
        (target.isContentEditable || target.matches('input[type="text"], input:not([type]), textarea'))
      )
        return;
      event.preventDefault();
      if (key === 'y' || event.shiftKey) redo();
      else undo();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [undo, redo]);

  const ordered = useMemo(() => boardOrder(form), [form]);
  const prices = useMemo(
    () => (settings.priceTable ? pricesAt(settings.priceTable, openedAt) : {}),
    [settings.priceTable, openedAt],
  );
  const issues = useMemo(
    () => checkDesign(form, { today: new Date(openedAt).toISOString().slice(0, 10), provider, runtimes, prices, roleCosts }),
    [form, openedAt, provider, runtimes, prices, roleCosts],
  );
  const preset = settings.presets.find((p) => p.id === limitsChoice);
  const limits = preset?.pools ?? settings.poolLimits;
  // Configured limits that equal a tier are called by the tier's name.
  const sameAs = settings.presets.find(
    (p) => JSON.stringify(p.pools) === JSON.stringify(settings.poolLimits),
  );
  const limitsLabel = preset?.label ?? sameAs?.label ?? 'your configured limits';
  const estimate = useMemo(
    () =>
      estimateDesign({
        teams: ordered.map((t) => ({
          id: t.id,
          name: t.name,
          agents: t.agents,
          budgetNanoUsd: parseBudget(t.budgetUsd) ?? null,
        })),
        prices,
        limits,
        ...(measured ? { measured } : {}),
      }),
    [ordered, prices, limits, measured],
  );

  const sensors = useSensors(
    // A few pixels of travel before a drag starts, so clicks on rows still select.
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: keyboardCoordinates }),
  );

  const selectedAgent = selected ? agentById(form, selected) : undefined;
  const selectedTeam = selected ? teamOfAgent(form, selected) : undefined;
  const inspectedTeam = selectedTeamId ? form.teams.find((t) => t.id === selectedTeamId) : undefined;
  const edit: Edit = editDesign;
  const announce = (text: string) => setMessage(text);

  const nameOf = (data: DragData | undefined): string => {
    if (!data) return 'nothing';
    if (data.type === 'agent') return agentById(form, data.agentId)?.name ?? 'the agent';
    if (data.type === 'team')
      return `team ${form.teams.find((t) => t.id === data.teamId)?.name ?? ''}`.trim();
    if (data.type === 'palette') return `a new ${ROLE_LABELS[data.role].toLowerCase()}`;
    return 'the duplicate zone';
  };
  const placeOf = (data: DragData | undefined): string => {
    if (!data) return 'nowhere';
    if (data.type === 'agent') {
      const team = form.teams.find((t) => t.id === data.teamId);
      return `${agentById(form, data.agentId)?.name ?? 'an agent'} in ${team?.name ?? 'a team'}`;
    }
    if (data.type === 'team') return form.teams.find((t) => t.id === data.teamId)?.name ?? 'a team';
    return nameOf(data);
  };

  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${nameOf(dragData(active.data.current))}.`,
    onDragOver: ({ active, over }) =>
      over
        ? `${nameOf(dragData(active.data.current))} is over ${placeOf(dragData(over.data.current))}.`
        : undefined,
    onDragEnd: ({ active, over }) =>
      over
        ? `${nameOf(dragData(active.data.current))} was dropped on ${placeOf(dragData(over.data.current))}.`
        : `${nameOf(dragData(active.data.current))} was dropped.`,
    onDragCancel: ({ active }) => `Moving ${nameOf(dragData(active.data.current))} was cancelled.`,
  };

  const onDragStart = (event: DragStartEvent) => {
    setDragging(dragData(event.active.data.current) ?? null);
    altHeld.current = event.activatorEvent instanceof PointerEvent && event.activatorEvent.altKey;
  };

  const onDragOver = ({ active, over }: DragOverEvent) => {
    const a = dragData(active.data.current);
    const target = dropTarget(form, dragData(over?.data.current));
    if (!a || !target || (a.type !== 'agent' && a.type !== 'palette')) {
      setRefusedTeam(null);
      return;
    }
    const role = a.type === 'agent' ? agentById(form, a.agentId)?.role : a.role;
    const refused =
      role && placementProblem(form, role, target.teamId, a.type === 'agent' ? a.agentId : undefined);
    setRefusedTeam(refused ? target.teamId : null);
  };

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    setDragging(null);
    setRefusedTeam(null);
    const a = dragData(active.data.current);
    const o = dragData(over?.data.current);
    if (!a || !o) return;

    if (a.type === 'team') {
      if (o.type === 'duplicate' || (o.type === 'team' && altHeld.current)) {
        edit((f, newId) => duplicateTeam(f, a.teamId, newId));
        announce(`Duplicated ${nameOf(a)}.`);
      } else if (o.type === 'team' && o.teamId !== a.teamId) {
        const phases = formPhases(form);
        if (phases.get(o.teamId) !== phases.get(a.teamId)) {
          announce(
            `${nameOf(a)} stays in phase ${phases.get(a.teamId) ?? '?'}: the board is grouped by phase. Use “Starts after…” to change its phase.`,
          );
          return;
        }
        edit((f) =>
          moveTeam(
            f,
            a.teamId,
            boardOrder(f).findIndex((t) => t.id === o.teamId),
          ),
        );
      }
      return;
    }

    const target = dropTarget(form, o);
    if (!target) return;
    const role =
      a.type === 'agent' ? agentById(form, a.agentId)?.role : a.type === 'palette' ? a.role : undefined;
    if (!role) return;
    const problem = placementProblem(form, role, target.teamId, a.type === 'agent' ? a.agentId : undefined);
    if (problem) {
      announce(problem);
      return;
    }
    if (a.type === 'agent') {
      edit((f) => moveAgent(f, a.agentId, target.teamId, target.index));
    } else if (a.type === 'palette') {
      const before = new Set(form.teams.flatMap((t) => t.agents.map((x) => x.id)));
      let added: string | undefined;
      edit((f, newId) => {
        const next = addAgentAt(f, target.teamId, a.role, newId, target.index);
        added = next.teams.flatMap((t) => t.agents).find((x) => !before.has(x.id))?.id;
        return next;
      });
      if (added) setSelected(added);
    }
  };

  const fix = (value: DesignFix, issue: DesignIssue) => {
    edit((f, newId) => applyFix(f, value, newId));
    announce(`Applied: ${issue.fix?.label ?? 'fix'}.`);
  };

  const issuesOf = (teamId: string) => issues.filter((i) => i.teamId === teamId);
  const overlay = dragging ? <DragPreview data={dragging} form={form} /> : null;

  return (
    <div className="designer">
      <div className="designer-main">
        <DndContext
          sensors={sensors}
          collisionDetection={collide}
          // The sticky bars cover the top of the window: scroll only near the real edges.
          autoScroll={{ threshold: { x: 0.08, y: 0.1 } }}
          accessibility={{ announcements }}
          onDragStart={onDragStart}
          onDragOver={onDragOver}
          onDragEnd={onDragEnd}
          onDragCancel={() => {
            setDragging(null);
            setRefusedTeam(null);
          }}
        >
          <Palette
            draggingTeam={dragging?.type === 'team'}
            onAddTeam={() => edit((f, newId) => addTeam(f, newId))}
          />
          <DesignChecks issues={issues} onFix={fix} onShow={setSelected} onShowTeam={selectTeam} />
          {ordered.length === 0 ? (
            <div className="card placeholder board-empty">
              <p className="muted">
                This design has no teams yet. Add a team to give it a leader and coders.
              </p>
            </div>
          ) : (
            <SortableContext items={ordered.map((t) => teamDndId(t.id))} strategy={rectSortingStrategy}>
              <div className="board" role="list" aria-label="Teams">
                {ordered.map((team, index) => (
                  <div role="listitem" key={team.id} className="board-slot">
                    <TeamCard
                      team={team}
                      index={index}
                      form={form}
                      issues={issuesOf(team.id)}
                      estimate={estimate.teams.find((t) => t.teamId === team.id)}
                      selectedAgentId={selected}
                      runtimes={runtimes}
                      refusing={refusedTeam === team.id}
                      onSelect={setSelected}
                      teamSelected={selectedTeamId === team.id}
                      onSelectTeam={selectTeam}
                      edit={edit}
                      announce={announce}
                    />
                  </div>
                ))}
              </div>
            </SortableContext>
          )}
          <DragOverlay dropAnimation={null}>{overlay}</DragOverlay>
        </DndContext>
      </div>
      <div className="designer-side">
        {inspectedTeam ? (
          <TeamInspector
            form={form}
            team={inspectedTeam}
            issues={issues.filter((i) => i.teamId === inspectedTeam.id && i.agentId === undefined)}
            edit={edit}
            onClose={() => selectTeam(null)}
            announce={announce}
          />
        ) : (
          <AgentInspector
            form={form}
            agent={selectedAgent}
            team={selectedTeam}
            issues={selected ? issues.filter((i) => i.agentId === selected) : []}
            prices={prices}
            measured={measured}
            runtimes={runtimes}
            edit={edit}
            onClose={() => setSelected(null)}
            announce={announce}
          />
        )}
        <EstimatePanel
          estimate={estimate}
          settings={settings}
          limitsChoice={limitsChoice}
          limitsLabel={limitsLabel}
          configuredLabel={sameAs?.label ?? 'custom'}
          onLimitsChoice={setLimitsChoice}
          onRetry={() => void loadDesignerSettings()}
        />
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {message}
      </p>
    </div>
  );
}

function DragPreview({ data, form }: { data: DragData; form: DesignForm }) {
  if (data.type === 'agent') {
    const agent = agentById(form, data.agentId);
    if (!agent) return null;
    return (
      <div className={`agent-row drag-preview role-${agent.role}`}>
        <span className="drag-handle" aria-hidden="true">
          ⠿
        </span>
        <span className="agent-select">
          <span className="agent-name">{agent.name}</span>
          <span className="agent-meta">
            {ROLE_LABELS[agent.role]} · {shortModel(agent.model)}
          </span>
        </span>
      </div>
    );
  }
  if (data.type === 'palette') {
    return (
      <div className={`palette-role drag-preview role-${data.role}`}>
        <span className="role-dot" aria-hidden="true" />
        New {ROLE_LABELS[data.role].toLowerCase()}
      </div>
    );
  }
  if (data.type === 'team') {
    const team = form.teams.find((t) => t.id === data.teamId);
    if (!team) return null;
    return (
      <div className="team-card drag-preview team-preview">
        <strong>{team.name}</strong>
        <span className="muted">{plural(team.agents.length, 'agent')}</span>
      </div>
    );
  }
  return null;
}
