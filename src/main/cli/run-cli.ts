import { version } from '../../../package.json';
import { safeMessage } from '../../shared/quote.js';
import {
  closest,
  parseCommandArgs,
  parsePort,
  stringOption,
  UsageError,
  type OptionSpecs,
  type ParsedArgs,
} from './args.js';
import type { CliIo } from './cli-io.js';
import { LEDGER_EXPORT_OPTIONS, ledgerExportCommand } from './ledger-export.js';
import { MISSIONS_OPTIONS, missionsCommand } from './missions-command.js';
import { CLEAN_UP_MAX_MISSIONS, CLEAN_UP_OPTIONS, cleanUpCommand } from './clean-up-command.js';
import { RUN_OPTIONS, runMissionCommand } from './run.js';
import { serveCommand, type ServeOptions } from './serve-command.js';
import { startCommand } from './start-command.js';
import { parseRedisUrl, WORKER_OPTIONS, workerCommand } from './worker-command.js';

const BIN = 'control-room';

/**
 * One command of the CLI. Later commands (`run`, `ledger export`, `bench`) are one more
 * entry in {@link COMMANDS}; a name may be two words for grouped commands.
 */
export interface CliCommand {
  name: string;
  summary: string;
  /** What follows the command name in the usage line: `[--port N] [--data-dir DIR]`. */
  usage: string;
  options: OptionSpecs;
  maxPositionals?: number;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', description: 'Show this help' } } as const;

const serverOptions = {
  port: {
    type: 'string',
    valueName: 'N',
    description: 'Port on 127.0.0.1 for browser mode (default: any free port)',
  },
  'data-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'Where the ledger lives (default: the platform user-data folder)',
  },
  redis: {
    type: 'string',
    valueName: 'URL',
    description: "Run built-in agents' turns on fleet workers through this Redis (wins over Settings)",
  },
} as const;

/** Reads the options `serve` and `start` share; a bad port or Redis URL is a usage error. */
function serveOptions(args: ParsedArgs): ServeOptions {
  const port = parsePort(stringOption(args, 'port'));
  const dataDir = stringOption(args, 'data-dir');
  const redis = stringOption(args, 'redis');
  // The worker's rule, so `serve --redis` and `worker --redis` accept the same URLs.
  const redisUrl = redis === undefined ? undefined : parseRedisUrl(redis);
  return {
    ...(port === undefined ? {} : { port }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(redisUrl === undefined ? {} : { redisUrl }),
  };
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'start',
    summary: 'Open the desktop app (browser mode when Electron is not installed)',
    usage: '[--port N] [--data-dir DIR] [--redis URL]',
    options: serverOptions,
    run: (args, io) => startCommand(serveOptions(args), io),
  },
  {
    name: 'serve',
    summary: 'Serve the UI on 127.0.0.1 for a browser (prints the URL with its token)',
    usage: '[--port N] [--data-dir DIR] [--redis URL]',
    options: serverOptions,
    run: (args, io) => serveCommand(serveOptions(args), io),
  },
  {
    name: 'run',
    summary: 'Run a mission headless: plan, code, review and merge, asking on stdin',
    usage: '--team FILE --goal TEXT --workspace DIR [--base BRANCH] [--db FILE] [--provider simulated|anthropic] [--budget USD] [--director] [--auto-approve] [--json]\n       control-room run --resume [MISSION] [--db FILE] [--provider simulated|anthropic] [--auto-approve] [--json]',
    options: RUN_OPTIONS,
    maxPositionals: 1,
    run: (args, io) => runMissionCommand(args, io),
  },
  {
    name: 'missions',
    summary: "List the ledger's missions: id, name, state, progress, cost, last update",
    usage: '[--db FILE] [--json]',
    options: MISSIONS_OPTIONS,
    run: (args, io) => missionsCommand(args, io),
  },
  {
    name: 'clean-up',
    summary: "Remove what finished missions left: worktrees, team and coder branches (mission branches stay)",
    usage: '[MISSION...] [--db FILE] [--dry-run]',
    options: CLEAN_UP_OPTIONS,
    maxPositionals: CLEAN_UP_MAX_MISSIONS,
    run: (args, io) => cleanUpCommand(args, io),
  },
  {
    name: 'worker',
    summary: "Run agents' turns for a control room, from its queue on Redis",
    usage: '--redis URL [--concurrency N] [--workspace-root DIR]',
    options: WORKER_OPTIONS,
    run: (args, io) => workerCommand(args, io),
  },
  {
    name: 'ledger export',
    summary: 'Write every model call in the ledger as CSV or JSON',
    usage: '[--db FILE] [--format csv|json] [--out FILE]',
    options: LEDGER_EXPORT_OPTIONS,
    run: (args, io) => ledgerExportCommand(args, io),
  },
];

/** The full help text. */
export function mainHelp(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: ${BIN} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -v, --version  Print the version',
    '',
    `Run "${BIN} <command> --help" for a command's options.`,
    '',
  ].join('\n');
}

/** One command's help text. */
export function commandHelp(command: CliCommand): string {
  const options = Object.entries({ ...command.options, ...HELP_OPTION }).map(([name, spec]) => {
    const flag = `${'short' in spec && spec.short ? `-${spec.short}, ` : ''}--${name}${
      'valueName' in spec && spec.valueName ? ` ${spec.valueName}` : ''
    }`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    usageLine(command),
    '',
    command.summary + '.',
    '',
    'Options:',
    ...options.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
  ].join('\n');
}

function usageLine(command: CliCommand): string {
  return `Usage: ${BIN} ${command.name}${command.usage ? ` ${command.usage}` : ''}`;
}

function shortUsage(commands: readonly CliCommand[]): string {
  return `Usage: ${BIN} <command> [options]   (commands: ${commands.map((c) => c.name).join(', ')}; see ${BIN} --help)`;
}

/** Finds the command `argv` names (two-word names first) and the arguments after it. */
function lookup(
  argv: readonly string[],
  commands: readonly CliCommand[],
): { command: CliCommand; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    if (argv.length < words) continue;
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

/**
 * The whole command line, in-process: parses `argv` (without `node` and the script),
 * runs the command, and answers the exit code: 0 success, 1 failure, 2 a usage mistake
 * (one error line, then usage, on stderr). `index.ts` wires it to the real process.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const first = argv[0];
  const usageError = (message: string, usage: string, prefix = BIN): number => {
    // Messages echo arguments and files: escaped and cut before they reach a terminal.
    io.stderr.write(`${prefix}: ${safeMessage(message)}\n${usage}\n`);
    return 2;
  };

  if (first === undefined) return usageError('missing command', shortUsage(commands));
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' && argv.length > 1 ? lookup(argv.slice(1), commands) : undefined;
    if (first === 'help' && argv.length > 1 && !topic) {
      return usageError(`unknown command '${argv.slice(1).join(' ')}'`, shortUsage(commands));
    }
    io.stdout.write(topic ? commandHelp(topic.command) : mainHelp(commands));
    return 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${version}\n`);
    return 0;
  }

  const found = lookup(argv, commands);
  if (!found) {
    if (first.startsWith('-')) return usageError(`unknown option '${first}'`, shortUsage(commands));
    const guess = closest(
      first,
      commands.map((c) => c.name.split(' ')[0] ?? c.name),
    );
    const hint = guess ? ` (did you mean '${guess}'?)` : '';
    return usageError(`unknown command '${first}'${hint}`, shortUsage(commands));
  }

  const { command, rest } = found;
  let args: ParsedArgs;
  try {
    args = parseCommandArgs(rest, { ...command.options, ...HELP_OPTION }, command.maxPositionals ?? 0);
    if (args.values.help === true) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError)
      return usageError(error.message, usageLine(command), `${BIN} ${command.name}`);
    io.stderr.write(`${BIN} ${command.name}: ${safeMessage(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
