import { z } from 'zod';
import type { PullRequestOptionsView, PullRequestView } from '../pull-request.js';
import { command } from './define.js';

const id = z.string().min(1, 'must not be empty').max(64);

/** Longest pull request title GitHub accepts. */
export const PULL_REQUEST_TITLE_MAX = 256;

/**
 * A git remote's name as `git remote add` makes them. A leading "-" is refused: it would
 * read as an option to git or gh.
 */
export const remoteNameSchema = z
  .string({ error: 'must be the name of a git remote, e.g. "origin"' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'must be the name of a git remote (letters, digits, ".", "_", "-" and "/"), e.g. "origin"');

export const openPullRequestSchema = z
  .object({
    missionId: id,
    /** The remote to push the mission branch to; default "origin". */
    remote: remoteNameSchema.optional(),
    /** Default: the mission's name. */
    title: z.string().trim().min(1, 'must not be empty').max(PULL_REQUEST_TITLE_MAX, `must be at most ${PULL_REQUEST_TITLE_MAX} characters`).optional(),
    draft: z.boolean().default(false),
  })
  .strict();
export type OpenPullRequestRequest = z.output<typeof openPullRequestSchema>;

export const pullRequestsCommands = {
  /**
   * Pushes the mission branch to a remote and opens a pull request of it into the base
   * branch, with the mission's result as its description: through GitHub's REST API with
   * the token saved in Settings, else the `gh` command where it is logged in. Allowed while
   * the final merge is awaited (it is then resolved as "opened a pull request") or once the
   * mission is done with its branch kept. A pull request already open for the branch is answered.
   */
  'missions:open-pull-request': command<PullRequestView>()(openPullRequestSchema),
  /** The remotes, how a pull request would be opened, and the ones opened so far. */
  'missions:pull-request-options': command<PullRequestOptionsView>()(z.object({ missionId: id }).strict()),
};
