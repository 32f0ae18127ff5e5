import type { z } from 'zod';
import type { COMMAND_CHANNELS, EVENT_CHANNELS } from './channels.js';
import { appCommands, type AppEvents } from './contract/app.js';
import type { CommandSpec } from './contract/define.js';
import { teamsCommands, type TeamsEvents } from './contract/teams.js';
import { missionsCommands, type MissionsEvents } from './contract/missions.js';
import { agentsCommands, type AgentsEvents } from './contract/agents.js';
import { costsCommands, type CostsEvents } from './contract/costs.js';
import { limitsCommands, type LimitsEvents } from './contract/limits.js';
import { settingsCommands, type SettingsEvents } from './contract/settings.js';
import { runtimesCommands, type RuntimesEvents } from './contract/runtimes.js';
import { fleetCommands, type FleetEvents } from './contract/fleet.js';
import { reviewsCommands } from './contract/reviews.js';
import { pullRequestsCommands } from './contract/pull-requests.js';
import type { Result } from './result.js';

/**
 * The single contract between the UI and the engine. Commands are `domain:verb-noun`,
 * each with a request schema validated in main before any handler runs; events are
 * `domain:past-tense`, pushed from main in batches. Add a domain by writing
 * `contract/<domain>.ts` and spreading it here; the channel lists in `channels.ts` must
 * follow, or this file stops compiling.
 */
export const commands = {
  ...appCommands,
  ...teamsCommands,
  ...missionsCommands,
  ...agentsCommands,
  ...costsCommands,
  ...limitsCommands,
  ...settingsCommands,
  ...runtimesCommands,
  ...fleetCommands,
  ...reviewsCommands,
  ...pullRequestsCommands,
};

export type Events = AppEvents &
  TeamsEvents &
  MissionsEvents &
  AgentsEvents &
  CostsEvents &
  LimitsEvents &
  SettingsEvents &
  RuntimesEvents &
  FleetEvents;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type EventName = keyof Events;

/** What a caller sends (before defaults and trimming are applied). */
export type CommandRequest<K extends CommandName> = z.input<Commands[K]['request']>;
/** What a handler receives: the request after validation. */
export type ParsedRequest<K extends CommandName> = z.output<Commands[K]['request']>;
export type CommandResponse<K extends CommandName> =
  Commands[K] extends CommandSpec<z.ZodType, infer R> ? R : never;
export type EventPayload<E extends EventName> = Events[E];

export interface EventEnvelope<E extends EventName = EventName> {
  name: E;
  payload: Events[E];
}

/** The API the renderer sees, whichever transport (Electron IPC or WebSocket) backs it. */
export interface ControlRoomApi {
  invoke<K extends CommandName>(channel: K, request: CommandRequest<K>): Promise<Result<CommandResponse<K>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Type guard used by every transport before it looks a command up. */
export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name);
}

// Compile-time proof that channels.ts lists exactly the contract's names.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandsMatch: Same<(typeof COMMAND_CHANNELS)[number], CommandName> = true;
const eventsMatch: Same<(typeof EVENT_CHANNELS)[number], EventName> = true;
void commandsMatch;
void eventsMatch;
