import { describe, expect, it } from 'vitest';
import { Steps } from './steps.js';

describe('Steps', () => {
  it('closes the steps in the reverse of their set-up order, and only once', () => {
    const order: string[] = [];
    const steps = new Steps();
    for (const name of ['ledger', 'calls', 'engine']) steps.add({ close: () => order.push(name) });
    steps.close();
    steps.close();
    expect(order).toEqual(['engine', 'calls', 'ledger']);
  });

  it('closes every step even when one throws, then reports the error', () => {
    const closed: string[] = [];
    const steps = new Steps();
    steps.add({ close: () => closed.push('ledger') });
    steps.add({
      close: () => {
        throw new Error('engine would not close');
      },
    });
    expect(() => steps.close()).toThrow('engine would not close');
    expect(closed).toEqual(['ledger']);
  });

  it('shuts down last first, waiting for each step that drains before closing the ones below it', async () => {
    const order: string[] = [];
    const steps = new Steps();
    steps.add({ close: () => order.push('ledger') });
    steps.add({
      close: () => order.push('calls (closed)'),
      shutdown: async (timeoutMs) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`calls drained within ${timeoutMs}`);
      },
    });
    steps.add({ close: () => order.push('engine') });
    await steps.shutdown(100);
    expect(order).toEqual(['engine', 'calls drained within 100', 'ledger']);
  });
});
