/**
 * The answer to every command: data, or an error with a stable machine-readable code
 * and a message a person can act on.
 */
export type Result<T> = { ok: true; data: T } | { ok: false; error: AppErrorShape };

/** Every error code a command may answer with. Extend here, never ad hoc. */
export const ERROR_CODES = [
  'invalid_request',
  'unknown_command',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'invalid_team_file',
  'unknown_model',
  'duplicate_name',
  'database_error',
  'budget_exceeded',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorShape {
  code: ErrorCode;
  message: string;
}

/** An error a handler throws on purpose; the dispatcher turns it into a failed Result. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

/** Builds a successful Result. */
export const ok = <T>(data: T): Result<T> => ({ ok: true, data });

/** Builds a failed Result. */
export const fail = <T = never>(code: ErrorCode, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});
