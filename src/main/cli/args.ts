import { parseArgs } from 'node:util';

/** A mistake in how the command line was written: reported with usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of one command, as shown in its help and understood by the parser. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help for a string option's value: `N`, `DIR`. */
  valueName?: string;
  description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses one command's arguments with `node:util` parseArgs, but reports mistakes in
 * our own words, one line each: parseArgs' strict-mode messages are long and suggest
 * `--` tricks that make no sense to someone who mistyped a flag.
 */
export function parseCommandArgs(
  args: readonly string[],
  options: OptionSpecs,
  maxPositionals = 0,
): ParsedArgs {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short },
    ]),
  );
  const { values, positionals, tokens } = parseArgs({
    args: [...args],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) throw new UsageError(`unknown option '${token.rawName}'`);
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`option '${token.rawName}' does not take a value`);
    }
    if (spec.type === 'string') {
      const missing =
        token.value === undefined ||
        // Non-strict parseArgs happily takes the next flag as the value: `--port --data-dir x`.
        (!token.inlineValue && token.value.startsWith('-') && !/^-\d/.test(token.value));
      if (missing) throw new UsageError(`option '${token.rawName}' needs a value`);
    }
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${positionals[maxPositionals] ?? ''}'`);
  }
  return { values: values as ParsedArgs['values'], positionals };
}

/** Reads a string option's value, or undefined when it was not given. */
export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Validates `--port`: a whole number from 0 (any free port) to 65535. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port) || port > 65_535) {
    throw new UsageError(
      `invalid --port '${value}': expected a whole number from 0 to 65535 (0 picks a free port)`,
    );
  }
  return port;
}

/** The known name closest to a mistyped one, if it is close enough to be a typo. */
export function closest(input: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(input, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
