import type { z } from 'zod';

/**
 * One command of the contract: the schema its single request object must satisfy and,
 * as a phantom type, what its handler answers.
 */
export interface CommandSpec<Req extends z.ZodType = z.ZodType, Res = unknown> {
  readonly request: Req;
  /** Type-level only: never set at runtime. */
  readonly __response?: Res;
}

/** Declares a command: `command<Answer>()(requestSchema)`. */
export const command =
  <Res>() =>
  <Req extends z.ZodType>(request: Req): CommandSpec<Req, Res> => ({ request });
