import { addAgent, addTeam, updateTeam, type DesignForm, type NewId } from './design-form.js';

/**
 * Starting points for a new design. Each is a list of team shapes; the agents get the
 * same default names, models and prompts as ones added by hand, so a template is only a
 * shortcut for clicks a person could make.
 */
export interface DesignTemplate {
  id: string;
  label: string;
  summary: string;
  name: string;
  teams: { name?: string; coders: number }[];
}

export const DESIGN_TEMPLATES: readonly DesignTemplate[] = [
  {
    id: 'solo',
    label: 'Solo leader + 2 coders',
    summary: 'One team of three: the smallest useful design, cheap to try a mission with.',
    name: 'Solo team',
    teams: [{ coders: 2 }],
  },
  {
    id: 'three-by-five',
    label: '3 teams of 5',
    summary: 'Three leaders with four coders each: fifteen agents, every team at the recommended size.',
    name: 'Three teams',
    teams: [{ coders: 4 }, { coders: 4 }, { coders: 4 }],
  },
  {
    id: 'four-by-four',
    label: '4 × 4 × 4',
    summary: 'Four leaders with four coders each: twenty agents for a large mission.',
    name: '4 × 4 × 4',
    teams: [{ coders: 4 }, { coders: 4 }, { coders: 4 }, { coders: 4 }],
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
  };
  for (const shape of template.teams) {
    // addTeam brings a leader and one coder; the rest are added the way a person would.
    form = addTeam(form, newId);
    const team = form.teams[form.teams.length - 1]!;
    for (let i = 1; i < shape.coders; i += 1) form = addAgent(form, team.id, 'coder', newId);
    if (shape.name) form = updateTeam(form, team.id, { name: shape.name });
  }
  return form;
}
