import { describe, expect, it } from 'vitest';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { SimulatedProvider } from '../llm/simulated-provider.js';
import { ProviderSwitch } from './provider-switch.js';

describe('ProviderSwitch.forward', () => {
  it("follows the current provider: the simulation cannot forward Claude Code's calls, the API provider can", () => {
    const sw = new ProviderSwitch('simulated', new SimulatedProvider({ seed: 1, latencyScale: 0 }));
    expect(sw.forward).toBeUndefined();
    sw.use('anthropic', new AnthropicProvider({ apiKey: 'sk-ant-FAKE-switch-test', baseURL: 'http://127.0.0.1:9' }));
    expect(typeof sw.forward).toBe('function');
    sw.use('simulated', new SimulatedProvider({ seed: 1, latencyScale: 0 }));
    expect(sw.forward).toBeUndefined();
  });
});
