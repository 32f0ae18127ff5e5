import {
  commands,
  isCommandName,
  type CommandName,
  type CommandResponse,
  type ParsedRequest,
} from '../../shared/contract.js';
import { AppError, fail, ok, type Result } from '../../shared/result.js';
import { formatIssues } from '../../shared/validation.js';
import { quote, safeMessage } from '../../shared/quote.js';

/**
 * One handler per command, typed over the contract's keys: a command without a handler
 * (or a handler answering the wrong type) is a compile error.
 */
export type Handlers = {
  [K in CommandName]: (request: ParsedRequest<K>) => Promise<CommandResponse<K>> | CommandResponse<K>;
};

/** Where unexpected errors go; never the renderer (it only sees a generic message). */
export type ErrorLogger = (channel: string, error: unknown) => void;

/**
 * Runs one command the way every transport must: refuse unknown channels, validate
 * the request against its schema (a request that fails never reaches the handler),
 * call the handler, and answer a Result. Never throws.
 */
export async function dispatch(
  handlers: Handlers,
  channel: unknown,
  request: unknown,
  logError: ErrorLogger = defaultLogger,
): Promise<Result<unknown>> {
  if (!isCommandName(channel)) {
    return fail('unknown_command', `unknown command ${quote(channel)}`);
  }
  const parsed = commands[channel].request.safeParse(request);
  if (!parsed.success) {
    return fail('invalid_request', `${channel}: ${formatIssues(parsed.error.issues, 'request')}`);
  }
  // The schema above checked the request, so the handler's parameter type holds.
  const handler = handlers[channel] as unknown as (req: unknown) => unknown;
  try {
    return ok(await handler(parsed.data));
  } catch (error) {
    // A handler's message may embed input it did not quote: escaped and cut here, whatever it holds.
    if (error instanceof AppError) return fail(error.code, safeMessage(error.message));
    logError(channel, error);
    if (isSqliteError(error)) return fail('database_error', safeMessage(`${channel}: database error: ${error.message}`));
    return fail('internal', `${channel} failed unexpectedly; see the log for details`);
  }
}

function isSqliteError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

const defaultLogger: ErrorLogger = (channel, error) => {
  console.error(`[control-room] ${channel} failed:`, error);
};
