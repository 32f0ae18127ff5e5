/**
 * The names of every command and event, as plain strings with no schema attached, so
 * the Electron preload can refuse unknown channels without bundling the validators.
 * `contract.ts` proves at compile time that these lists match the contract exactly.
 */
export const COMMAND_CHANNELS = [
  'app:get-info',
  'teams:list',
  'teams:get',
  'teams:save',
  'teams:delete',
  'teams:import',
  'teams:export',
  'missions:create',
  'missions:list',
  'missions:get',
  'missions:start',
  'missions:pause',
  'missions:resume',
  'missions:cancel',
  'agents:list',
  'agents:kill',
  'agents:kill-team',
  'agents:kill-idle',
  'agents:get-transcript',
  'tasks:list',
  'escalations:list',
  'escalations:decide',
  'missions:get-log',
  'agents:get-diff',
  'missions:message-leader',
  'missions:list-messages',
  'missions:set-team-priority',
  'missions:list-team-priorities',
  'missions:add-coder',
  'missions:remove-coder',
  'missions:pause-team',
  'missions:resume-team',
  'costs:get-dashboard',
  'costs:export-calls',
  'limits:get-state',
  'limits:resume-pool',
  'settings:get',
  'settings:set-provider',
  'settings:set-api-key',
  'settings:set-pool-limits',
  'settings:set-price-table',
  'settings:set-idle-timeout',
  'settings:set-alert-thresholds',
  'settings:set-fleet-redis-url',
  'runtimes:get-status',
  'fleet:get-status',
] as const;

export const EVENT_CHANNELS = [
  'teams:changed',
  'missions:changed',
  'missions:team-changed',
  'agents:changed',
  'tasks:changed',
  'escalations:changed',
  'costs:changed',
  'limits:changed',
  'settings:changed',
] as const;

/** The one IPC channel on which main pushes batched events to a window. */
export const EVENT_BATCH_CHANNEL = 'cr:events';
