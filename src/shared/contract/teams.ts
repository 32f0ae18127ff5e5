import { z } from 'zod';
import { teamDesignDraftSchema, type TeamDesign, type TeamDesignSummary } from '../team.js';
import { command } from './define.js';

const byId = z.object({ id: z.string().min(1, 'must not be empty').max(64) }).strict();

export interface TeamExport {
  /** A file name a person would expect: the design's name, made safe. */
  fileName: string;
  json: string;
}

export const teamsCommands = {
  'teams:list': command<TeamDesignSummary[]>()(z.object({}).strict()),
  'teams:get': command<TeamDesign>()(byId),
  'teams:save': command<TeamDesign>()(z.object({ design: teamDesignDraftSchema }).strict()),
  'teams:delete': command<{ id: string }>()(byId),
  /** The text of a team file; its size is checked again before it is parsed. */
  'teams:import': command<TeamDesign>()(z.object({ json: z.string() }).strict()),
  'teams:export': command<TeamExport>()(byId),
};

export interface TeamsEvents {
  'teams:changed': { id: string; change: 'saved' | 'deleted' | 'imported'; revision: number | null };
}
