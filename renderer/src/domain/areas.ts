import type { Area } from './route.js';

export interface AreaInfo {
  id: Area;
  label: string;
  /** What the area will do, said plainly while it is not built yet. */
  summary: string;
  icon: string;
}

export const AREA_INFO: readonly AreaInfo[] = [
  {
    id: 'teams',
    label: 'Teams',
    icon: '◫',
    summary: 'Design teams of leaders and coders, with models, budgets and permissions.',
  },
  {
    id: 'missions',
    label: 'Missions',
    icon: '◎',
    summary: 'Give a team a mission on a git repository and follow its tasks from plan to merge.',
  },
  {
    id: 'agents',
    label: 'Agents',
    icon: '◉',
    summary:
      'See every running agent, what it is doing and how long it has been idle, and stop the ones you no longer need.',
  },
  {
    id: 'costs',
    label: 'Costs',
    icon: '$',
    summary: 'Watch spend per mission, team and agent live, against the budgets you set.',
  },
  {
    id: 'inbox',
    label: 'Inbox',
    icon: '✉',
    summary: 'Approve or refuse the escalations your leaders send you.',
  },
  { id: 'settings', label: 'Settings', icon: '⚙', summary: 'Application information and preferences.' },
];

export function areaInfo(area: Area): AreaInfo {
  return AREA_INFO.find((a) => a.id === area) ?? AREA_INFO[0]!;
}
