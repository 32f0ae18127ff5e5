/**
 * Transports deliver an engine batch as one listener call per event. This collects the
 * calls made in the same task and hands them over together on the next microtask, so a
 * batch of a thousand agent snapshots costs the store one update and React one render.
 */
export function batchEvents<T>(apply: (items: T[]) => void, schedule: (flush: () => void) => void = queueMicrotask): (item: T) => void {
  let queue: T[] = [];
  return (item) => {
    queue.push(item);
    if (queue.length > 1) return;
    schedule(() => {
      const items = queue;
      queue = [];
      apply(items);
    });
  };
}
