/**
 * How user input appears inside an error message: quoted, with control characters (a
 * terminal's escape sequences included) written as escapes, and cut short. Errors reach
 * terminals, logs and the UI; a team file or a request can hold a megabyte or an escape
 * sequence that repaints a terminal, and a message must carry neither.
 */

/** Longest piece of one input value shown in a message, in characters. */
export const QUOTE_MAX = 80;
/** Longest whole error message, in characters. */
export const MESSAGE_MAX = 1_000;

// C0 and C1 control characters, DEL, and the line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair.
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** `value` as it may stand in a message: `"…"` with escapes, at most {@link QUOTE_MAX} characters of it. */
export function quote(value: unknown, max = QUOTE_MAX): string {
  const text = typeof value === 'string' ? value : safeString(value);
  return `"${escapeControls(cut(text, max)).replace(/"/g, '\\"')}"`;
}

/**
 * A whole error message made safe to print: control characters escaped, at most
 * {@link MESSAGE_MAX} characters. The last line of defence for messages that may embed
 * input this code did not quote (a parser's own message, a database error).
 */
export function safeMessage(message: string, max = MESSAGE_MAX): string {
  return escapeControls(cut(message, max));
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? (JSON.stringify(value) ?? String(value)) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
