import { describe, expect, it } from 'vitest';
import { FairQueue, type FairQueueItem } from './fair-queue.js';

let seq = 0;
const item = (teamId: string, agingKey = 0, cost = 1): FairQueueItem & { name: string } => ({
  heapIndex: -1,
  teamId,
  agingKey,
  seq: ++seq,
  cost,
  name: `${teamId}${seq}`,
});

describe('FairQueue', () => {
  it('orders a team by aging key, then arrival', () => {
    const q = new FairQueue<ReturnType<typeof item>>(() => 1);
    const late = item('a', 20);
    const early = item('a', 10);
    const tie = item('a', 10);
    q.push(late);
    q.push(early);
    q.push(tie);
    expect([q.pop(), q.pop(), q.pop()]).toEqual([early, tie, late]);
    expect(q.pop()).toBeUndefined();
  });

  it('shares grants between backlogged teams in proportion to weight', () => {
    const weights: Record<string, number> = { a: 3, b: 1 };
    const q = new FairQueue<ReturnType<typeof item>>((t) => weights[t] ?? 1);
    for (let i = 0; i < 400; i++) {
      q.push(item('a'));
      q.push(item('b'));
    }
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[q.pop()!.teamId as 'a' | 'b']++;
    expect(counts).toEqual({ a: 300, b: 100 });
  });

  it('gives an idle team no saved-up credit', () => {
    const q = new FairQueue<ReturnType<typeof item>>(() => 1);
    for (let i = 0; i < 50; i++) q.push(item('a'));
    for (let i = 0; i < 40; i++) q.pop();
    for (let i = 0; i < 50; i++) q.push(item('b'));
    const order = Array.from({ length: 20 }, () => q.pop()!.teamId).join('');
    expect(order).toMatch(/^(ab|ba){10}$/);
  });

  it('removes any item in O(log n) and keeps the rest ordered', () => {
    const q = new FairQueue<ReturnType<typeof item>>(() => 1);
    const items = Array.from({ length: 10 }, (_, i) => item('a', i));
    for (const it of items) q.push(it);
    expect(q.remove(items[0]!)).toBe(true);
    expect(q.remove(items[5]!)).toBe(true);
    expect(q.remove(items[5]!)).toBe(false);
    expect(q.size).toBe(8);
    const keys: number[] = [];
    for (let x = q.pop(); x; x = q.pop()) keys.push(x.agingKey);
    expect(keys).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
  });
});
