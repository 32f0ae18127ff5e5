/**
 * The Claude models a design may use. Each belongs to a rate-limit pool: Anthropic
 * limits an organisation per model class, and all versions of a class share one pool.
 * The price table (resources/pricing.json) must price every model listed here.
 */
export type ModelPool = 'opus' | 'sonnet' | 'haiku';

export interface ModelInfo {
  id: string;
  label: string;
  pool: ModelPool;
  contextWindow: number;
  maxOutputTokens: number;
  /** Date (YYYY-MM-DD) the API retires the model; designs using it are flagged. */
  retiresOn?: string;
}

// Context windows are the conservative 200k every listed model supports, so context
// compaction (at 60% of the window) never waits too long.
export const MODELS = [
  { id: 'claude-opus-4-8', label: 'Claude Opus 4.8', pool: 'opus', contextWindow: 200_000, maxOutputTokens: 64_000 },
  { id: 'claude-opus-4-7', label: 'Claude Opus 4.7', pool: 'opus', contextWindow: 200_000, maxOutputTokens: 64_000 },
  { id: 'claude-opus-4-6', label: 'Claude Opus 4.6', pool: 'opus', contextWindow: 200_000, maxOutputTokens: 64_000 },
  { id: 'claude-opus-4-5', label: 'Claude Opus 4.5', pool: 'opus', contextWindow: 200_000, maxOutputTokens: 64_000 },
  { id: 'claude-sonnet-4-6', label: 'Claude Sonnet 4.6', pool: 'sonnet', contextWindow: 200_000, maxOutputTokens: 64_000 },
  {
    id: 'claude-sonnet-4-5',
    label: 'Claude Sonnet 4.5',
    pool: 'sonnet',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    retiresOn: '2026-11-30',
  },
  { id: 'claude-haiku-4-5', label: 'Claude Haiku 4.5', pool: 'haiku', contextWindow: 200_000, maxOutputTokens: 64_000 },
] as const satisfies readonly ModelInfo[];

export type ModelId = (typeof MODELS)[number]['id'];

export const MODEL_IDS = MODELS.map((m) => m.id) as [ModelId, ...ModelId[]];

/** Looks a model up by id; undefined for a model Control Room does not know. */
export function findModel(id: string): ModelInfo | undefined {
  return MODELS.find((m) => m.id === id);
}

/** The model each role gets by default: Opus leads, Sonnet specialists, Haiku simple work. */
export const DEFAULT_MODEL_BY_ROLE = {
  leader: 'claude-opus-4-8',
  coder: 'claude-sonnet-4-6',
  reviewer: 'claude-sonnet-4-6',
  researcher: 'claude-haiku-4-5',
} as const satisfies Record<string, ModelId>;
