/**
 * Turns schema issues into one message that names each offending field, so a person
 * (or the UI) can point at it: `design.teams.0.agents.2.model: unknown model "x"`.
 */
export function formatIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix?: string,
): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return shown.join('; ') + more;
}
