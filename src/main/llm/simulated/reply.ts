/** What a simulated role decides to say, before ids, streaming and usage are added. */
import type { MessagesRequest } from '../provider.js';
import type { Rng } from './random.js';

export type DraftBlock =
  { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };

/** The behaviour knobs roles read; all probabilities in [0, 1]. */
export interface Behaviour {
  questionRate: number;
  commandRate: number;
  rejectRate: number;
  /** Files a coder reads before writing (`WORKLOADS` in profiles.ts); 0 for a quick demo. */
  readsPerTask: number;
}

export interface RoleInput {
  request: MessagesRequest;
  /** Seeded by the provider's seed and the request; the only source of variation. */
  rng: Rng;
  /** The provider's seed, for choices that must stay stable across a conversation. */
  seed: number;
  behaviour: Behaviour;
  /** False when the request sets disable_parallel_tool_use: one tool call per reply. */
  parallel: boolean;
}

/** Helper for roles: one tool call. */
export function call(name: string, input: Record<string, unknown>): DraftBlock {
  return { type: 'tool_use', name, input };
}

/** Helper for roles: prose. */
export function say(text: string): DraftBlock {
  return { type: 'text', text };
}

/** Keeps the prose and only the first tool call when parallel tool use is off. */
export function limitParallel(blocks: DraftBlock[], parallel: boolean): DraftBlock[] {
  if (parallel) return blocks;
  const first = blocks.findIndex((b) => b.type === 'tool_use');
  return first < 0 ? blocks : blocks.slice(0, first + 1);
}
