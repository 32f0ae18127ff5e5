/**
 * How risky a shell command an agent asks to run looks, for the person deciding a
 * permission escalation. A heuristic, not a sandbox: it reads the command text only, so
 * it errs towards "medium" for anything it does not recognise, and the person still
 * sees the exact command. Pure and environment-neutral, so the UI and the engine agree.
 */

export const COMMAND_RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type CommandRiskLevel = (typeof COMMAND_RISK_LEVELS)[number];

export interface CommandRisk {
  level: CommandRiskLevel;
  /** Why, in a few words a person reads at a glance (the weightiest reason found). */
  reason: string;
  /** Every distinct reason found, weightiest first. */
  reasons: string[];
}

interface Finding {
  level: CommandRiskLevel;
  reason: string;
}

const RANK: Record<CommandRiskLevel, number> = { low: 0, medium: 1, high: 2 };

const SHELLS = '(?:ba|z|da|k|fi)?sh|python[0-9.]*|node|perl|ruby';

/** Patterns over the whole command line (they span pipes and separators). */
const WHOLE_LINE: readonly [RegExp, Finding][] = [
  [
    new RegExp(`\\b(?:curl|wget|fetch)\\b[^|]*\\|\\s*(?:sudo\\s+)?(?:${SHELLS})\\b`),
    { level: 'high', reason: 'runs a script downloaded from the network' },
  ],
  [
    new RegExp(`\\b(?:${SHELLS})\\s+<\\(\\s*(?:curl|wget)\\b`),
    { level: 'high', reason: 'runs a script downloaded from the network' },
  ],
  [/:\(\)\s*\{.*\};\s*:/, { level: 'high', reason: 'a fork bomb' }],
  [/>\s*\/dev\/(?:sd|nvme|hd|disk)/, { level: 'high', reason: 'writes to a disk device' }],
  [/(?:^|[^<>])>{1,2}\s*(?:\/(?!dev\/null\b)|~)/, { level: 'high', reason: 'writes to a file outside the repository' }],
  [/\$\(|`/, { level: 'medium', reason: 'runs a nested command' }],
];

/** Read-only inspection: cannot change anything. */
const READ_ONLY = new Set([
  'ls', 'cat', 'head', 'tail', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'pwd', 'echo', 'printf', 'wc', 'diff',
  'tree', 'stat', 'file', 'which', 'whoami', 'date', 'env', 'printenv', 'true', 'false', 'sort', 'uniq',
  'cut', 'less', 'more', 'du', 'df', 'basename', 'dirname', 'realpath', 'jq', 'sha256sum', 'md5sum', 'test',
]);

/** Test, build, lint and type-check tools: they only touch the working tree. */
const CHECK_TOOLS = new Set([
  'vitest', 'jest', 'mocha', 'ava', 'tap', 'eslint', 'prettier', 'tsc', 'pytest', 'tox', 'ruff', 'mypy',
  'flake8', 'black', 'playwright', 'biome', 'stylelint', 'c8', 'nyc', 'tsx', 'rspec', 'phpunit',
]);

const CHECK_SCRIPT = /^(?:test|tests|lint|build|typecheck|type-check|check|format|fmt|coverage|compile|e2e|ci)(?::[\w:-]+)?$/;

const PACKAGE_MANAGERS = new Set(['npm', 'yarn', 'pnpm', 'bun']);
const INSTALL_VERBS = new Set(['install', 'i', 'ci', 'add', 'update', 'upgrade', 'up', 'remove', 'uninstall', 'rm']);

const NETWORK_TOOLS = new Set(['curl', 'wget', 'nc', 'ncat', 'netcat', 'telnet', 'ftp', 'http', 'https', 'ping']);
const REMOTE_TOOLS = new Set(['ssh', 'scp', 'rsync', 'sftp']);
const PRIVILEGE = new Set(['sudo', 'su', 'doas', 'pkexec']);
const DESTRUCTIVE_DISK = new Set(['dd', 'mkfs', 'fdisk', 'parted', 'shred', 'wipefs']);
const PROCESS_KILLERS = new Set(['kill', 'pkill', 'killall']);
const SYSTEM_PACKAGES = new Set(['apt', 'apt-get', 'dnf', 'yum', 'brew', 'pacman', 'apk', 'snap', 'port', 'choco']);

/** The risk of `command`, with the reason; see the module comment for what it can know. */
export function commandRisk(command: string): CommandRisk {
  const line = command.trim();
  if (line === '') return { level: 'medium', reason: 'an empty command', reasons: ['an empty command'] };
  const findings: Finding[] = [];
  for (const [pattern, finding] of WHOLE_LINE) if (pattern.test(line)) findings.push(finding);
  for (const segment of splitSegments(line)) findings.push(segmentRisk(segment));
  findings.sort((a, b) => RANK[b.level] - RANK[a.level]);
  const top = findings[0] ?? { level: 'medium', reason: 'not a command this app recognises' };
  const reasons = [...new Set(findings.filter((f) => f.level !== 'low' || top.level === 'low').map((f) => f.reason))];
  return { level: top.level, reason: top.reason, reasons };
}

/** Splits on `;`, `&&`, `||`, `|` and newlines outside quotes. */
function splitSegments(line: string): string[][] {
  const segments: string[][] = [];
  let words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let quoted = false;
  const endWord = () => {
    if (word !== '' || quoted) words.push(word);
    word = '';
    quoted = false;
  };
  const endSegment = () => {
    endWord();
    if (words.length > 0) segments.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      quoted = true;
    } else if (c === ';' || c === '|' || c === '\n' || (c === '&' && line[i + 1] === '&')) {
      endSegment();
      if ((c === '|' || c === '&') && line[i + 1] === c) i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else {
      word += c;
    }
  }
  endSegment();
  return segments;
}

const program = (word: string): string => word.slice(word.lastIndexOf('/') + 1);

function segmentRisk(input: string[]): Finding {
  // Leading environment assignments (`CI=1 npm test`) do not change what runs.
  let words = input;
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words = words.slice(1);
  const [first = '', ...args] = words;
  const cmd = program(first);
  const flags = args.filter((a) => a.startsWith('-'));
  const has = (...names: string[]) => args.some((a) => names.includes(a));

  if (cmd === '') return { level: 'low', reason: 'sets a variable' };
  if (PRIVILEGE.has(cmd)) return { level: 'high', reason: 'runs with administrator rights' };
  if (DESTRUCTIVE_DISK.has(cmd)) return { level: 'high', reason: 'can erase a disk or files beyond recovery' };
  if (cmd === 'rm' || cmd === 'rmdir') {
    const recursive = flags.some((f) => /^-[a-zA-Z]*[rR]/.test(f) || f === '--recursive');
    const outside = args.some((a) => !a.startsWith('-') && (a.startsWith('/') || a.startsWith('~') || a.includes('..') || a === '*'));
    if (recursive || outside) return { level: 'high', reason: 'deletes files recursively or outside the repository' };
    return { level: 'medium', reason: 'deletes files' };
  }
  if (cmd === 'chmod' || cmd === 'chown' || cmd === 'chgrp') {
    if (flags.some((f) => /^-[a-zA-Z]*R/.test(f)) || has('777', 'a+rwx')) {
      return { level: 'high', reason: 'changes permissions broadly' };
    }
    return { level: 'medium', reason: 'changes file permissions' };
  }
  if (cmd === 'git') return gitRisk(args);
  if (PACKAGE_MANAGERS.has(cmd)) return packageManagerRisk(cmd, args);
  if (cmd === 'npx' || cmd === 'pnpx' || cmd === 'bunx') {
    // npx fetches from the registry whatever the repository does not have, and runs it: a
    // mistyped or missing tool name is someone else's code. Only with downloads refused
    // (flags before the tool's name) does it run nothing but what is installed.
    const at = args.findIndex((a) => !a.startsWith('-'));
    const tool = at === -1 ? '' : args[at]!;
    const own = at === -1 ? args : args.slice(0, at);
    const noDownload = cmd !== 'pnpx' && own.some((a) => a === '--no' || a === '--no-install' || a === '--offline');
    if (CHECK_TOOLS.has(program(tool))) {
      return noDownload
        ? { level: 'low', reason: 'runs an installed test, lint or build tool' }
        : { level: 'medium', reason: `runs ${program(tool)}, downloading it from the registry if the repository does not have it` };
    }
    return { level: 'medium', reason: 'downloads and runs a package' };
  }
  if (cmd === 'pip' || cmd === 'pip3' || cmd === 'poetry' || cmd === 'pipx' || cmd === 'uv' || cmd === 'gem') {
    if (has('install', 'add', 'uninstall', 'remove', 'sync')) return { level: 'medium', reason: 'installs packages from the network' };
    return { level: 'low', reason: 'inspects installed packages' };
  }
  if (cmd === 'cargo' || cmd === 'go') {
    const verb = args[0] ?? '';
    if (['install', 'get', 'add'].includes(verb)) return { level: 'medium', reason: 'installs packages from the network' };
    if (verb === 'publish') return { level: 'high', reason: 'publishes a package' };
    if (['test', 'build', 'check', 'vet', 'fmt', 'clippy', 'run'].includes(verb)) return { level: 'low', reason: 'runs tests or a build' };
    return { level: 'medium', reason: `runs "${cmd} ${verb}"` };
  }
  if (SYSTEM_PACKAGES.has(cmd)) return { level: 'high', reason: 'changes system packages' };
  if (NETWORK_TOOLS.has(cmd)) return { level: 'medium', reason: 'uses the network' };
  if (REMOTE_TOOLS.has(cmd)) return { level: 'high', reason: 'connects to or copies to another machine' };
  if (PROCESS_KILLERS.has(cmd)) return { level: 'medium', reason: 'stops other processes' };
  if (cmd === 'docker' || cmd === 'podman') return { level: 'medium', reason: 'runs containers' };
  if (cmd === 'eval' || cmd === 'exec' || cmd === 'source' || cmd === '.') return { level: 'medium', reason: 'runs code it builds at run time' };
  if (cmd === 'find') {
    if (has('-delete', '-exec', '-execdir', '-ok')) return { level: 'medium', reason: 'deletes or runs commands on found files' };
    return { level: 'low', reason: 'read-only' };
  }
  if (cmd === 'sed' && flags.some((f) => f.startsWith('-i'))) return { level: 'low', reason: 'edits files in the working tree' };
  if (READ_ONLY.has(cmd) || cmd === 'sed' || cmd === 'awk') return { level: 'low', reason: 'read-only' };
  if (CHECK_TOOLS.has(cmd)) return { level: 'low', reason: 'runs a test, lint or build tool' };
  if (cmd === 'make' && (args.length === 0 || args.every((a) => CHECK_SCRIPT.test(a) || a.startsWith('-')))) {
    return { level: 'low', reason: 'runs tests or a build' };
  }
  if ((cmd === 'node' || cmd === 'deno') && (has('--test', '--version', '-v', 'test') || args.length === 0)) {
    return { level: 'low', reason: 'runs tests' };
  }
  if (/^python[0-9.]*$/.test(cmd) && (has('pytest', 'unittest', '--version') || args.join(' ').startsWith('-m pytest'))) {
    return { level: 'low', reason: 'runs tests' };
  }
  if (cmd === 'mv' || cmd === 'cp' || cmd === 'mkdir' || cmd === 'touch' || cmd === 'ln') {
    const outside = args.some((a) => !a.startsWith('-') && (a.startsWith('/') || a.startsWith('~') || a.includes('..')));
    if (outside) return { level: 'high', reason: 'writes outside the repository' };
    return { level: 'low', reason: 'changes files in the working tree' };
  }
  return { level: 'medium', reason: `"${cmd}" is not a command this app recognises` };
}

function gitRisk(args: string[]): Finding {
  const verb = args.find((a) => !a.startsWith('-')) ?? '';
  const force = args.some((a) => a === '-f' || a === '--force' || a.startsWith('--force-with-lease') || a === '-D');
  switch (verb) {
    case 'push':
      return { level: 'high', reason: force ? 'force-pushes, rewriting a remote branch' : 'publishes commits to a remote' };
    case 'reset':
      return args.includes('--hard')
        ? { level: 'high', reason: 'discards uncommitted work' }
        : { level: 'medium', reason: 'moves the branch' };
    case 'clean':
      return force || args.some((a) => /^-[a-zA-Z]*f/.test(a))
        ? { level: 'high', reason: 'deletes untracked files' }
        : { level: 'low', reason: 'lists untracked files' };
    case 'status':
    case 'log':
    case 'diff':
    case 'show':
    case 'blame':
    case 'grep':
    case 'ls-files':
    case 'rev-parse':
    case 'describe':
    case 'shortlog':
      return { level: 'low', reason: 'read-only' };
    case 'branch':
    case 'tag':
      return force ? { level: 'medium', reason: 'deletes a branch or tag' } : { level: 'low', reason: 'lists or creates a branch' };
    case 'add':
    case 'commit':
    case 'stash':
    case 'restore':
      return { level: 'low', reason: 'records or sets aside work in the working tree' };
    case 'clone':
    case 'fetch':
    case 'pull':
    case 'submodule':
      return { level: 'medium', reason: 'uses the network' };
    case 'remote':
    case 'config':
      return { level: 'medium', reason: 'changes the repository configuration' };
    default:
      return { level: 'medium', reason: `changes the branch or history (git ${verb || 'without a verb'})` };
  }
}

function packageManagerRisk(cmd: string, args: string[]): Finding {
  const verb = args.find((a) => !a.startsWith('-')) ?? '';
  if (verb === 'publish') return { level: 'high', reason: 'publishes a package' };
  if (INSTALL_VERBS.has(verb) || (cmd === 'yarn' && args.length === 0)) {
    return { level: 'medium', reason: 'installs packages from the network (their install scripts run too)' };
  }
  if (verb === 'test' || verb === 't') return { level: 'low', reason: 'runs the tests' };
  if (verb === 'run' || verb === 'run-script') {
    const script = args[args.indexOf(verb) + 1] ?? '';
    return CHECK_SCRIPT.test(script)
      ? { level: 'low', reason: 'runs a test, lint or build script' }
      : { level: 'medium', reason: `runs the project script "${script}"` };
  }
  if (CHECK_SCRIPT.test(verb)) return { level: 'low', reason: 'runs a test, lint or build script' };
  if (['ls', 'list', 'outdated', 'view', 'info', 'why', 'audit', '--version', '-v'].includes(verb)) {
    return { level: 'low', reason: 'read-only' };
  }
  if (verb === 'exec' || verb === 'dlx' || verb === 'x') return { level: 'medium', reason: 'downloads and runs a package' };
  return { level: 'medium', reason: `runs "${cmd} ${verb}"` };
}
