import { describe, expect, it, vi } from 'vitest';
import { createShutdown } from './shutdown.js';

vi.mock('electron', () => ({ app: {} }));

describe('createShutdown', () => {
  it('runs the steps in order, once', () => {
    const order: string[] = [];
    const shutdown = createShutdown([
      { name: 'ipc', run: () => order.push('ipc') },
      { name: 'backend', run: () => order.push('backend') },
    ]);
    shutdown();
    shutdown();
    expect(order).toEqual(['ipc', 'backend']);
  });

  it('still closes the backend when an earlier step throws', () => {
    const closeBackend = vi.fn();
    const report = vi.fn();
    const shutdown = createShutdown(
      [
        {
          name: 'ipc',
          run: () => {
            throw new Error('boom');
          },
        },
        { name: 'backend', run: closeBackend },
      ],
      report,
    );
    shutdown();
    expect(closeBackend).toHaveBeenCalledOnce();
    expect(report).toHaveBeenCalledOnce();
    expect(report.mock.calls[0]?.[0]).toContain('"ipc"');
  });
});
