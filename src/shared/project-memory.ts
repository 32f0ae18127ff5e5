import { addedPromptNanoPerHour, type EstimateAgent, type MeasuredWorkload, type ModelPrices } from './design-estimate.js';
import { formatUsd } from './money.js';

/**
 * A repository's project memory: its CLAUDE.md. Claude Code reads it into every call's
 * system prompt; built-in agents read it too (`src/main/engine/prompts.ts`), so both
 * runtimes work from the same conventions. A long one is paid for in every call of
 * every agent, so the launch form warns about one over `PROJECT_MEMORY_WARN_LINES`.
 */

export const PROJECT_MEMORY_FILE = 'CLAUDE.md';
/** Claude Code's own advice is to keep CLAUDE.md short; past this many lines the launch form warns. */
export const PROJECT_MEMORY_WARN_LINES = 300;
/** Built-in agents read at most this many characters of it (about 10k tokens), with a note where it is cut. */
export const PROJECT_MEMORY_MAX_CHARS = 40_000;
/** About four characters a token for English prose and Markdown: a figure to weigh, not to bill. */
export const CHARS_PER_TOKEN = 4;

/** What the launch form learns of a repository's CLAUDE.md (`missions:check-project-memory`). */
export interface ProjectMemoryInfo {
  /** The file's path on the engine's computer. */
  path: string;
  lines: number;
  chars: number;
  /** ≈ chars / CHARS_PER_TOKEN. */
  tokens: number;
}

/** The lines of a text as a person counts them: a final newline does not start another. */
export function countLines(text: string): number {
  if (text === '') return 0;
  const breaks = text.match(/\n/g)?.length ?? 0;
  return text.endsWith('\n') ? breaks : breaks + 1;
}

/** The facts of a CLAUDE.md's text. */
export function projectMemoryInfo(path: string, text: string): ProjectMemoryInfo {
  return { path, lines: countLines(text), chars: text.length, tokens: Math.ceil(text.length / CHARS_PER_TOKEN) };
}

export interface ProjectMemoryWarning {
  title: string;
  detail: string;
  /** Per hour, the file read from the prompt cache in every call of the design's agents. */
  cachedNanoPerHour: number;
  /** The same uncached (the first call of each conversation, or a cache that expired). */
  uncachedNanoPerHour: number;
}

/**
 * The launch warning for a CLAUDE.md over `PROJECT_MEMORY_WARN_LINES` lines (null at or
 * under it): its size and what it adds to every agent's calls, tokens × each agent's
 * expected calls per hour (from the estimate: measured where the ledger has enough,
 * else assumed) × its model's price.
 */
export function projectMemoryWarning(
  info: ProjectMemoryInfo,
  agents: readonly Pick<EstimateAgent, 'role' | 'model'>[],
  prices: ModelPrices,
  measured?: readonly MeasuredWorkload[],
): ProjectMemoryWarning | null {
  if (info.lines <= PROJECT_MEMORY_WARN_LINES) return null;
  const added = addedPromptNanoPerHour(info.tokens, agents, prices, measured);
  const size = `${info.lines.toLocaleString('en-US')} lines, about ${info.tokens.toLocaleString('en-US')} tokens`;
  const cost =
    agents.length === 0
      ? 'Every agent reads it in every call.'
      : `Every agent reads it in every call: with this design's ${agents.length} agents at about ${Math.round(added.callsPerHour).toLocaleString('en-US')} calls an hour, that is about ${formatUsd(added.cachedNanoPerHour)} an hour read from the prompt cache, ${formatUsd(added.uncachedNanoPerHour)} an hour when it is not cached.`;
  return {
    title: `CLAUDE.md is long (${size})`,
    detail: `${cost} Claude Code advises keeping it under ${PROJECT_MEMORY_WARN_LINES} lines; built-in agents read the first ${PROJECT_MEMORY_MAX_CHARS.toLocaleString('en-US')} characters. Move what only some tasks need into files the agents can read when they need them.`,
    cachedNanoPerHour: added.cachedNanoPerHour,
    uncachedNanoPerHour: added.uncachedNanoPerHour,
  };
}
