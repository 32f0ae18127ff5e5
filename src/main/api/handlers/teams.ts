import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/result.js';
import { designToFile, parseTeamFile } from '../../../shared/team-file.js';
import type { TeamDesign } from '../../../shared/team.js';
import type { TeamRepository } from '../../ledger/team-repository.js';
import type { EventHub } from '../event-hub.js';
import type { Handlers } from '../dispatch.js';

type TeamsHandlers = Pick<
  Handlers,
  'teams:list' | 'teams:get' | 'teams:save' | 'teams:delete' | 'teams:import' | 'teams:export'
>;

/** Handlers for saving and loading team designs. */
export function teamsHandlers(repo: TeamRepository, events: EventHub): TeamsHandlers {
  const mustGet = (id: string): TeamDesign => {
    const design = repo.get(id);
    if (!design) throw new AppError('not_found', `no team design with id "${id}"`);
    return design;
  };
  const changed = (design: TeamDesign, change: 'saved' | 'imported') => {
    events.emit('teams:changed', { id: design.id, change, revision: design.revision });
    return design;
  };

  return {
    'teams:list': () => repo.list(),
    'teams:get': ({ id }) => mustGet(id),
    'teams:save': ({ design }) => {
      if (design.id !== undefined && design.expectedRevision !== undefined && !repo.get(design.id)) {
        throw new AppError('not_found', `team design "${design.name}" no longer exists; it was deleted`);
      }
      return changed(repo.save(design), 'saved');
    },
    'teams:delete': ({ id }) => {
      if (!repo.delete(id)) throw new AppError('not_found', `no team design with id "${id}"`);
      events.emit('teams:changed', { id, change: 'deleted', revision: null });
      return { id };
    },
    'teams:import': ({ json }) => {
      const parsed = parseTeamFile(json);
      if (!parsed.ok) throw new AppError(parsed.code, parsed.message);
      const { draft } = parsed;
      // Importing a file whose design is still here makes a copy rather than
      // overwriting the stored one: import never destroys what is saved.
      const clash = draft.id !== undefined && repo.get(draft.id) !== undefined;
      const toSave = clash
        ? {
            ...draft,
            id: undefined,
            expectedRevision: undefined,
            name: `${draft.name} (imported)`.slice(0, 120),
            teams: draft.teams.map((team) => ({
              ...team,
              id: randomUUID(),
              agents: team.agents.map((agent) => ({ ...agent, id: randomUUID() })),
            })),
          }
        : { ...draft, expectedRevision: undefined };
      return changed(repo.save(toSave), 'imported');
    },
    'teams:export': ({ id }) => {
      const design = mustGet(id);
      return { fileName: `${safeFileName(design.name)}.team.json`, json: designToFile(design) };
    },
  };
}

/** A file name any OS accepts, derived from what the person called the design. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return cleaned || 'team-design';
}
