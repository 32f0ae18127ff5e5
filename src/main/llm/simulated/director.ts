/**
 * The simulated director: drafts each team's share of the goal, the phases and the
 * interfaces from its prompt alone, deterministically, so the demo and the tests exercise
 * the director without a key. Shares come from each team's focus and the goal; phases are
 * the design's `after`; the interfaces name the owned paths of the teams others start
 * after. A send-back's comment is acknowledged in the interfaces, so the second draft
 * visibly answers it.
 */
import { clip, promptText } from './conversation.js';
import { call, say, type DraftBlock, type RoleInput } from './reply.js';

/** The tool the engine's director offers (engine/director-prompt.ts). */
export const DIRECTOR_TOOL_NAME = 'submit_mission_brief';

interface PromptTeam {
  id: string;
  name: string;
  focus: string;
  owns: string[];
  after: string[];
}

/** The teams of the director's prompt: its "Teams (JSON):" block. */
export function promptTeams(text: string): PromptTeam[] {
  const match = /Teams \(JSON\):\n```json\n([\s\S]*?)\n```/.exec(text);
  if (!match?.[1]) return [];
  try {
    const raw = JSON.parse(match[1]) as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((t: unknown) => {
      if (typeof t !== 'object' || t === null) return [];
      const r = t as Record<string, unknown>;
      const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
      if (typeof r.id !== 'string') return [];
      return [{
        id: r.id,
        name: typeof r.name === 'string' ? r.name : r.id,
        focus: typeof r.focus === 'string' ? r.focus : '',
        owns: strings(r.owns),
        after: strings(r.after),
      }];
    });
  } catch {
    return [];
  }
}

/** The director's reply: one call of its tool with a share, phases and interfaces for every team. */
export function directorReply({ request }: RoleInput): DraftBlock[] {
  const text = promptText(request);
  const teams = promptTeams(text);
  const goal = /^Goal: (.*)$/m.exec(text)?.[1]?.trim() ?? 'the goal';
  const comment = /^The person sent your previous draft back with this comment: (.*)$/m.exec(text)?.[1]?.trim();
  const byId = new Map(teams.map((t) => [t.id, t]));
  const shares = teams.map((t) => {
    const focus = t.focus.trim() === '' ? `the part of the goal named "${t.name}"` : t.focus.trim();
    const owns = t.owns.length > 0 ? ` Work in ${t.owns.join(', ')}.` : '';
    const builds = t.after.filter((id) => byId.has(id));
    const after = builds.length > 0 ? ` Build on the work of ${builds.map((id) => byId.get(id)?.name ?? id).join(' and ')}.` : '';
    return { team: t.id, share: clip(`${focus}, for: ${goal}.${owns}${after}`, 3_900), after: builds };
  });
  const interfaces = teams
    .filter((t) => teams.some((other) => other.after.includes(t.id)))
    .map((t) => {
      const users = teams.filter((other) => other.after.includes(t.id)).map((o) => o.name);
      const paths = t.owns.length > 0 ? t.owns.join(', ') : 'its modules';
      return `${t.name} provides ${paths} to ${users.join(', ')}.`;
    });
  if (comment) interfaces.push(`Revised for the person's comment: ${clip(comment, 500)}`);
  return [
    say(`Splitting the goal between ${teams.length} team(s).`),
    call(DIRECTOR_TOOL_NAME, { teams: shares, interfaces: interfaces.join('\n') }),
  ];
}
