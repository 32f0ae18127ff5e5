/**
 * A test API key: shaped like an Anthropic key (the "sk-ant-" prefix the app masks and
 * the packaging check scans for), marked FAKE, and put together from its parts so that
 * no key-shaped literal sits in the source for a secret scanner to mistake for a real one.
 */
export function fakeApiKey(...parts: string[]): string {
  return ['sk', 'ant', 'FAKE', ...parts].join('-');
}
