/**
 * How a team (or an agent) is named wherever a person reads it. Teams are often called
 * "Team 1", so a title that puts "Team" before the name reads "Team Team 1"; and a
 * design's team and agent ids repeat in every mission made from it, so anything that
 * gathers teams of several missions must key them by mission and team, and say which
 * mission a repeated name belongs to.
 */

/** "Team 1" → "Team 1", "Frontend" → "Team Frontend", "Backend team" → "Backend team". */
export function teamTitle(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') return 'The team';
  return /\bteams?\b/i.test(trimmed) ? trimmed : `Team ${trimmed}`;
}

/** The possessive of {@link teamTitle}: "Team 1's", "Team Frontend's", "Ops teams'". */
export function teamTitlePossessive(name: string): string {
  const title = teamTitle(name);
  return /s$/i.test(title) ? `${title}'` : `${title}'s`;
}

/**
 * One key for a team or an agent across missions: `<missionId>/<id>`. Mission ids never
 * contain `/`, so {@link splitScopedKey} finds the two halves again.
 */
export function scopedKey(missionId: string, id: string): string {
  return `${missionId}/${id}`;
}

/** The mission and id of a {@link scopedKey}; null for a key that is not one. */
export function splitScopedKey(key: string): { missionId: string; id: string } | null {
  const cut = key.indexOf('/');
  if (cut <= 0 || cut === key.length - 1) return null;
  return { missionId: key.slice(0, cut), id: key.slice(cut + 1) };
}

/** Something named inside a mission: a team or an agent. */
export interface ScopedName {
  key: string;
  name: string;
  missionName: string;
}

/**
 * Labels for names that may repeat across missions: a name that only one entry carries
 * stays as it is; repeated names say their mission ("Team 1 · Login page"). Where the
 * mission names repeat too, the entries are numbered, so no two labels are ever equal.
 */
export function labelRepeats(entries: readonly ScopedName[]): Map<string, string> {
  const count = (labels: readonly string[]) => {
    const n = new Map<string, number>();
    for (const l of labels) n.set(l, (n.get(l) ?? 0) + 1);
    return n;
  };
  const byName = count(entries.map((e) => e.name));
  const first = entries.map((e) => ((byName.get(e.name) ?? 0) > 1 ? `${e.name} · ${e.missionName}` : e.name));
  const stillRepeated = count(first);
  const seen = new Map<string, number>();
  const labels = new Map<string, string>();
  entries.forEach((e, i) => {
    const label = first[i]!;
    if ((stillRepeated.get(label) ?? 0) > 1) {
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      labels.set(e.key, `${label} (${n})`);
    } else {
      labels.set(e.key, label);
    }
  });
  return labels;
}
