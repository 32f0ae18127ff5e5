/**
 * What the UI may see of an API key: a mask that tells keys apart without giving any of
 * one away. The known, non-secret prefix ("sk-ant-") and the last four characters of a
 * long key; just "set" for a key too short to show four characters of safely.
 */
export function maskApiKey(key: string): string {
  const trimmed = key.trim();
  if (trimmed.length < 20) return 'set';
  const prefix = /^sk-[a-z]+-/.exec(trimmed)?.[0] ?? '';
  return `${prefix}…${trimmed.slice(-4)}`;
}
