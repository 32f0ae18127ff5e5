import type { AgentRole } from '../../../../src/shared/team.js';

/**
 * What each draggable and droppable on the board carries, so one collision filter and
 * one drop handler can tell an agent from a team from a palette role.
 */
export type DragData =
  | { type: 'agent'; agentId: string; teamId: string }
  /** `empty`: no agents, so keyboard moves may land on the card itself. */
  | { type: 'team'; teamId: string; empty?: boolean }
  | { type: 'palette'; role: AgentRole }
  | { type: 'duplicate' };

// dnd-kit ids share one namespace across the board; prefixes keep team and agent ids apart.
export const agentDndId = (id: string) => `agent:${id}`;
export const teamDndId = (id: string) => `team:${id}`;
export const paletteDndId = (role: AgentRole) => `palette:${role}`;
export const DUPLICATE_ZONE_ID = 'duplicate-zone';

export function dragData(value: unknown): DragData | undefined {
  return value && typeof value === 'object' && 'type' in value ? (value as DragData) : undefined;
}

/**
 * Which droppables a keyboard move of `type` may step to. Team cards contain agent rows,
 * so without this an arrow key would stop on the card around the row it left.
 */
export function keyboardTarget(type: DragData['type'] | undefined, target: DragData | undefined): boolean {
  if (!type || !target) return false;
  if (type === 'agent' || type === 'palette')
    return target.type === 'agent' || (target.type === 'team' && target.empty === true);
  if (type === 'team') return target.type === 'team' || target.type === 'duplicate';
  return false;
}
