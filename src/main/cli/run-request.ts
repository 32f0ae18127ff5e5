import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createMissionSchema, type CreateMissionRequest } from '../../shared/contract/missions.js';
import { quote, safeMessage } from '../../shared/quote.js';
import { git } from '../workspace/git.js';
import { checkRepository } from '../workspace/mission-workspace.js';

/**
 * What `control-room run` checks before it writes anything: the mission request through
 * the contract's own schema (`missions:create`), and the repository and base branch as a
 * start would. A run refused here leaves no design and no mission in the ledger.
 */

/** The flags a `missions:create` field comes from, so a refusal names what the person typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  goal: '--goal',
  repoPath: '--workspace',
  baseBranch: '--base',
  budgetUsd: '--budget',
  director: '--director',
};

/** What the person gave on the command line for a new mission. */
export interface RunRequestInput {
  goal: string;
  workspace: string;
  /** `--base`; undefined means the repository's current branch. */
  base: string | undefined;
  /** `--budget` as typed. */
  budget: string | undefined;
  director: boolean;
}

/** A `missions:create` request without its design id: the design is saved only once everything checked out. */
export type PendingMissionRequest = Omit<CreateMissionRequest, 'designId'>;

// The schema wants a design id; the real one exists only after the design row is written.
const PENDING_DESIGN_ID = 'pending';

/**
 * Validates a new run's options the way `missions:create` validates a request from the
 * app (same schema, same limits), then the repository and base branch. Throws one line
 * (the value quoted and cut) for a value the schema refuses or a repository that cannot
 * take a mission.
 */
export async function validateRunRequest(input: RunRequestInput): Promise<PendingMissionRequest> {
  let budgetUsd: number | undefined;
  if (input.budget !== undefined) {
    budgetUsd = input.budget.trim() === '' ? NaN : Number(input.budget);
    if (!Number.isFinite(budgetUsd)) throw new Error(`--budget must be a number of dollars, not ${quote(input.budget)}`);
  }
  const repoPath = resolve(input.workspace);
  const baseBranch = input.base ?? (await currentBranch(repoPath));
  const raw = {
    designId: PENDING_DESIGN_ID,
    goal: input.goal,
    repoPath,
    baseBranch,
    skipPlanApproval: false,
    allowedCommands: [],
    copyFiles: [],
    ...(budgetUsd === undefined ? {} : { budgetUsd }),
    ...(input.director ? { director: true } : {}),
  };
  const parsed = createMissionSchema.safeParse(raw);
  if (!parsed.success) {
    const typed: Readonly<Record<string, unknown>> = { ...raw, budgetUsd: input.budget, baseBranch: input.base ?? baseBranch };
    const problems = parsed.error.issues.slice(0, 3).map((issue) => {
      const field = String(issue.path[0] ?? '');
      const flag = FLAG_OF[field];
      return flag ? `${flag} ${quote(typed[field])}: ${issue.message}` : `${issue.path.join('.') || 'request'}: ${issue.message}`;
    });
    throw new Error(safeMessage(problems.join('; ')));
  }
  // The checks a start makes, made now: a missing folder or branch is refused before a design row exists.
  await checkRepository(parsed.data.repoPath, parsed.data.baseBranch);
  const { designId: _pending, ...request } = parsed.data;
  return request;
}

/**
 * The branch checked out in `repoPath` (`git symbolic-ref --short HEAD`): a mission starts
 * from and merges into what the person is on, `main` or `master` or anything else. A
 * detached HEAD names no branch, so the person is asked for `--base`.
 */
export async function currentBranch(repoPath: string): Promise<string> {
  if (!existsSync(repoPath) || !statSync(repoPath).isDirectory()) {
    throw new Error(`the repository folder ${quote(repoPath)} does not exist`);
  }
  const head = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repoPath, okExitCodes: [1, 128] });
  if (head.exitCode === 128) throw new Error(`${quote(repoPath)} is not a git repository (or has no working tree)`);
  if (head.exitCode !== 0 || head.stdout.trim() === '') {
    throw new Error(`HEAD is detached in ${quote(repoPath)}: name the branch to start from and merge into with --base BRANCH`);
  }
  return head.stdout.trim();
}
