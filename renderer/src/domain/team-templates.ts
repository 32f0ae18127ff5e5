import { addAgent, addTeam, updateTeam, type DesignForm, type NewId } from './design-form.js';
import { setAfter } from './design-phases.js';

/**
 * Starting points for a new design. Each is a list of team shapes; the agents get the
 * same default names, models and prompts as ones added by hand, so a template is only a
 * shortcut for clicks a person could make. Each team ships an example brief and phase,
 * so a first mission splits its goal between teams instead of running copies of one.
 */
export interface TemplateTeam {
  name: string;
  coders: number;
  focus: string;
  /** Repository paths the team owns (folders end with "/"). */
  owns?: string[];
  /** Names of earlier teams of the template this one starts after. */
  after?: string[];
}

export interface DesignTemplate {
  id: string;
  label: string;
  summary: string;
  name: string;
  teams: TemplateTeam[];
}

export const DESIGN_TEMPLATES: readonly DesignTemplate[] = [
  {
    id: 'solo',
    label: 'Solo leader + 2 coders',
    summary: 'One team of three: the smallest useful design, cheap to try a mission with.',
    name: 'Solo team',
    teams: [
      {
        name: 'Team 1',
        coders: 2,
        focus: 'The whole goal: plan it in small tasks, build them and keep the tests passing.',
      },
    ],
  },
  {
    id: 'three-by-five',
    label: '3 teams of 5',
    summary:
      'Three leaders with four coders each: a core team first, then an API team and a web team that build on it in parallel.',
    name: 'Three teams',
    teams: [
      {
        name: 'Core',
        coders: 4,
        focus: 'Core: the domain model, storage and the services the other teams call.',
        owns: ['src/core/', 'src/db/'],
      },
      {
        name: 'API',
        coders: 4,
        focus: 'API: the HTTP endpoints over the core services, with their validation and tests.',
        owns: ['src/api/'],
        after: ['Core'],
      },
      {
        name: 'Web',
        coders: 4,
        focus: 'Web: the pages and components people use, calling the API.',
        owns: ['web/'],
        after: ['Core'],
      },
    ],
  },
  {
    id: 'four-by-four',
    label: '4 × 4 × 4',
    summary:
      'Four leaders with four coders each, in three phases: infrastructure first, then workers and operations in parallel, then the interfaces that build on both.',
    name: '4 × 4 × 4',
    teams: [
      {
        name: 'Infrastructure',
        coders: 4,
        focus: 'Infrastructure: database schema, config service, auth middleware.',
        owns: ['db/', 'config/', 'auth/'],
      },
      {
        name: 'Workers',
        coders: 4,
        focus: 'Workers: the background jobs and queues, on the schema and config of Infrastructure.',
        owns: ['workers/', 'jobs/'],
        after: ['Infrastructure'],
      },
      {
        name: 'Operations',
        coders: 4,
        focus: 'Operations: deployment, health checks, metrics and logging.',
        owns: ['ops/', 'deploy/'],
        after: ['Infrastructure'],
      },
      {
        name: 'Interfaces',
        coders: 4,
        focus: 'Interfaces: the API and the user interface, built on the workers and operations.',
        owns: ['api/', 'ui/'],
        after: ['Workers', 'Operations'],
      },
    ],
  },
];

export function findTemplate(id: string): DesignTemplate | undefined {
  return DESIGN_TEMPLATES.find((t) => t.id === id);
}

/** A new, unsaved design laid out from a template. */
export function designFromTemplate(template: DesignTemplate, newId: NewId): DesignForm {
  let form: DesignForm = {
    name: template.name,
    description: template.summary,
    teams: [],
    canvas: { zoom: 1, offset: { x: 0, y: 0 } },
    directorModel: null,
  };
  const ids = new Map<string, string>();
  for (const shape of template.teams) {
    // addTeam brings a leader and one coder; the rest are added the way a person would.
    form = addTeam(form, newId);
    const team = form.teams[form.teams.length - 1]!;
    for (let i = 1; i < shape.coders; i += 1) form = addAgent(form, team.id, 'coder', newId);
    form = updateTeam(form, team.id, {
      name: shape.name,
      brief: { focus: shape.focus, owns: (shape.owns ?? []).join('\n') },
    });
    ids.set(shape.name, team.id);
    const after = (shape.after ?? []).map((name) => ids.get(name)).filter((id) => id !== undefined);
    form = setAfter(form, team.id, after);
  }
  return form;
}

/** The launch form lists templates beside saved designs; a template's choice is this prefix and its id. */
export const TEMPLATE_CHOICE_PREFIX = 'template:';

/** The template a launch-form choice names, or undefined for a saved design's id. */
export function templateOfChoice(choice: string): DesignTemplate | undefined {
  return choice.startsWith(TEMPLATE_CHOICE_PREFIX) ? findTemplate(choice.slice(TEMPLATE_CHOICE_PREFIX.length)) : undefined;
}

/**
 * A name no saved design has yet: a template launched twice saves "Solo team", then
 * "Solo team 2", so the Teams list can tell them apart.
 */
export function freeDesignName(name: string, taken: readonly string[]): string {
  const used = new Set(taken.map((n) => n.trim().toLowerCase()));
  if (!used.has(name.toLowerCase())) return name;
  for (let n = 2; ; n += 1) if (!used.has(`${name} ${n}`.toLowerCase())) return `${name} ${n}`;
}
