import teamDesigns from './0001-team-designs.sql';
import calls from './0002-calls.sql';
import missions from './0003-missions.sql';
import settings from './0004-settings.sql';
import agentRuntimes from './0005-agent-runtimes.sql';
import teamPhases from './0006-team-phases.sql';
import missionBrief from './0007-mission-brief.sql';
import steering from './0008-steering.sql';
import designBriefs from './0009-design-briefs.sql';
import callsInFlight from './0010-calls-in-flight.sql';
import testRuns from './0011-test-runs.sql';
import missionResults from './0012-mission-results.sql';
import branchNames from './0013-branch-names.sql';
import pullRequests from './0014-pull-requests.sql';

/**
 * Every migration, in order. Forward-only: never edit or reorder a shipped entry (the
 * ledger refuses a database whose applied migration text changed); add a new file with
 * the next number and append it here.
 *
 * The packaging check finds each migration's text in the bundle, so write it in plain
 * ASCII and never use all three quote characters (' " and the backtick) in one file:
 * esbuild then escapes the text, and the check (rightly) cannot tell it is the same SQL.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001-team-designs', sql: teamDesigns },
  { version: 2, name: '0002-calls', sql: calls },
  { version: 3, name: '0003-missions', sql: missions },
  { version: 4, name: '0004-settings', sql: settings },
  { version: 5, name: '0005-agent-runtimes', sql: agentRuntimes },
  { version: 6, name: '0006-team-phases', sql: teamPhases },
  { version: 7, name: '0007-mission-brief', sql: missionBrief },
  { version: 8, name: '0008-steering', sql: steering },
  { version: 9, name: '0009-design-briefs', sql: designBriefs },
  { version: 10, name: '0010-calls-in-flight', sql: callsInFlight },
  { version: 11, name: '0011-test-runs', sql: testRuns },
  { version: 12, name: '0012-mission-results', sql: missionResults },
  { version: 13, name: '0013-branch-names', sql: branchNames },
  { version: 14, name: '0014-pull-requests', sql: pullRequests },
];
