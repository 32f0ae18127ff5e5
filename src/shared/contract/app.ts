import { z } from 'zod';
import { command } from './define.js';

export type Runtime = 'electron' | 'browser';
export type ProviderId = 'simulated' | 'anthropic';

export interface AppInfo {
  name: string;
  version: string;
  runtime: Runtime;
  platform: string;
  dataDir: string;
  databasePath: string;
  provider: { id: ProviderId; label: string };
}

export const appCommands = {
  'app:get-info': command<AppInfo>()(z.object({}).strict()),
};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- app has no events yet; kept so every domain has the same shape
export interface AppEvents {}
