import { describe, expect, it, vi } from 'vitest';
import { createShutdown } from './shutdown.js';

vi.mock('electron', () => ({ app: {} }));

describe('createShutdown', () => {
  it('runs the steps in order, once, waiting for each', async () => {
    const order: string[] = [];
    const shutdown = createShutdown([
      { name: 'ipc', run: () => void order.push('ipc') },
      {
        name: 'backend',
        // The backend's shutdown waits for aborted calls to be recorded.
        run: () => new Promise<void>((resolve) => setTimeout(() => resolve(void order.push('backend')), 10)),
      },
      { name: 'after', run: () => void order.push('after') },
    ]);
    const first = shutdown();
    const second = shutdown();
    expect(second).toBe(first);
    await first;
    expect(order).toEqual(['ipc', 'backend', 'after']);
  });

  it('still shuts the backend down when an earlier step throws', async () => {
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
    await shutdown();
    expect(closeBackend).toHaveBeenCalledOnce();
    expect(report).toHaveBeenCalledOnce();
    expect(report.mock.calls[0]?.[0]).toContain('"ipc"');
  });
});
