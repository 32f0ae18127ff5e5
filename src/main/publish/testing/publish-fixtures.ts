import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * A bare repository in `dir` standing in for GitHub, and `repo`'s remote `name` naming
 * GitHub's `owner/repo` for its fetch URL (what the pull request is opened against) while
 * pushes go to the bare repository (`pushurl`). `main` is pushed there already.
 */
export function addBareRemote(repo: string, dir: string, options: { name?: string; github?: string } = {}): string {
  const name = options.name ?? 'origin';
  const bare = join(dir, `${name}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  git(repo, 'remote', 'add', name, `https://github.com/${options.github ?? 'acme/widgets'}.git`);
  git(repo, 'config', `remote.${name}.pushurl`, bare);
  git(repo, 'push', '-q', name, 'main');
  return bare;
}

/** A pre-receive hook in `bare` that prints `message` and refuses every push. */
export function refusePushes(bare: string, message: string): void {
  const hook = join(bare, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\necho "${message}" >&2\nexit 1\n`);
  chmodSync(hook, 0o755);
}

/**
 * A fake `gh` in `binDir`: `auth status` answers 0 unless `FAKE_GH_LOGGED_OUT` is set;
 * `pr create` appends its arguments (one per line, then a blank line) to `args.log`, copies
 * the `--body-file` to `body.md`, and prints a pull request URL (or, with
 * `FAKE_GH_EXISTS`, says one exists, as gh does, and exits 1).
 */
export function fakeGh(binDir: string): { argsLog: string; bodyCopy: string } {
  mkdirSync(binDir, { recursive: true });
  const argsLog = join(binDir, 'args.log');
  const bodyCopy = join(binDir, 'body.md');
  const script = `#!/bin/sh
if [ "$1" = "auth" ]; then
  if [ -n "$FAKE_GH_LOGGED_OUT" ]; then echo "You are not logged into any GitHub hosts." >&2; exit 1; fi
  echo "Logged in to github.com"; exit 0
fi
for a in "$@"; do printf '%s\\n' "$a" >> "${argsLog}"; done
printf '\\n' >> "${argsLog}"
prev=""
for a in "$@"; do
  if [ "$prev" = "--body-file" ]; then cp "$a" "${bodyCopy}"; fi
  prev="$a"
done
if [ -n "$FAKE_GH_EXISTS" ]; then
  echo 'a pull request for branch "x" into branch "main" already exists:' >&2
  echo "https://github.com/acme/widgets/pull/3" >&2
  exit 1
fi
echo "https://github.com/acme/widgets/pull/7"
`;
  const gh = join(binDir, 'gh');
  writeFileSync(gh, script);
  chmodSync(gh, 0o755);
  return { argsLog, bodyCopy };
}
