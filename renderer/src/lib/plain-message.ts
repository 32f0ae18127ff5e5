/**
 * An engine error as a person reads it: without the "missions:create: " prefix (it names a
 * command, not something the person did) and starting with a capital.
 */
export function plainMessage(message: string): string {
  const text = message.replace(/^[a-z]+:[a-z-]+: /, '').replace(/^request\./, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
