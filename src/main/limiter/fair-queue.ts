import { IndexedHeap, type HeapEntry } from './indexed-heap.js';

/** What the {@link FairQueue} needs to know about a waiting call. */
export interface FairQueueItem extends HeapEntry {
  readonly teamId: string;
  /** Smaller runs first within a team: enqueue time + priority rank * aging step. */
  readonly agingKey: number;
  /** Tie-breaker: arrival order. */
  readonly seq: number;
  /** Share of the pool the call will use (its dominant bucket's fraction of the limit). */
  readonly cost: number;
}

interface TeamLane<T extends FairQueueItem> extends HeapEntry {
  readonly teamId: string;
  readonly order: number;
  readonly items: IndexedHeap<T>;
  /** Virtual start tag of the lane's next call. */
  tag: number;
  /** Virtual finish tag of the lane's last served call. */
  finish: number;
}

const byAgingKey = <T extends FairQueueItem>(a: T, b: T): boolean =>
  a.agingKey < b.agingKey || (a.agingKey === b.agingKey && a.seq < b.seq);

const byTag = <T extends FairQueueItem>(a: TeamLane<T>, b: TeamLane<T>): boolean =>
  a.tag < b.tag || (a.tag === b.tag && a.order < b.order);

/**
 * The wait queue of one pool: weighted fair across teams, priority-with-aging inside a team.
 *
 * Teams share the pool by start-time fair queueing: each team carries a virtual clock that
 * advances by cost / weight for every call it is granted, and the backlogged team with the
 * smallest tag goes next. A team that was idle restarts at the current virtual time, so
 * idling earns no credit. Inside a team, calls are ordered by `agingKey` (a static
 * virtual deadline), so a low-priority call is overtaken only by calls that arrived less than
 * its priority gap before it and can never starve.
 *
 * All operations are O(log n) (n waiting calls) plus O(log t) (t teams).
 */
export class FairQueue<T extends FairQueueItem> {
  readonly #lanes = new Map<string, TeamLane<T>>();
  readonly #backlogged = new IndexedHeap<TeamLane<T>>(byTag);
  readonly #weightOf: (teamId: string) => number;
  #virtualTime = 0;
  #size = 0;
  #laneOrder = 0;

  /** @param weightOf the team's share weight (> 0), read each time a call is granted. */
  constructor(weightOf: (teamId: string) => number) {
    this.#weightOf = weightOf;
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    let lane = this.#lanes.get(item.teamId);
    if (!lane) {
      lane = {
        teamId: item.teamId,
        order: this.#laneOrder++,
        items: new IndexedHeap<T>(byAgingKey),
        tag: 0,
        finish: 0,
        heapIndex: -1,
      };
      this.#lanes.set(item.teamId, lane);
    }
    if (lane.items.size === 0) {
      lane.tag = Math.max(this.#virtualTime, lane.finish);
      lane.items.push(item);
      this.#backlogged.push(lane);
    } else {
      lane.items.push(item);
    }
    this.#size++;
  }

  /** The call that would be granted next. */
  peek(): T | undefined {
    return this.#backlogged.peek()?.items.peek();
  }

  pop(): T | undefined {
    const lane = this.#backlogged.peek();
    const item = lane?.items.pop();
    if (!lane || !item) return undefined;
    this.#size--;
    this.#virtualTime = lane.tag;
    lane.finish = lane.tag + item.cost / this.#weightOf(lane.teamId);
    if (lane.items.size > 0) {
      lane.tag = lane.finish;
      this.#backlogged.update(lane);
    } else {
      this.#backlogged.remove(lane);
      this.#forgetIdle();
    }
    return item;
  }

  /** Removes a call that left the queue early (aborted); returns whether it was queued. */
  remove(item: T): boolean {
    const lane = this.#lanes.get(item.teamId);
    if (!lane || !lane.items.remove(item)) return false;
    this.#size--;
    if (lane.items.size === 0) {
      this.#backlogged.remove(lane);
      this.#forgetIdle();
    }
    return true;
  }

  /** Empties the queue and returns what it held. */
  drain(): T[] {
    const all: T[] = [];
    for (const lane of this.#lanes.values()) all.push(...lane.items.drain());
    this.#backlogged.drain();
    this.#lanes.clear();
    this.#size = 0;
    return all;
  }

  // Idle lanes whose finish tag the virtual clock has passed carry no state worth keeping;
  // dropping them keeps memory bounded by active teams. The scan only runs when the lane
  // map has doubled since the last sweep, so it is amortised O(1).
  #sweepAt = 64;
  #forgetIdle(): void {
    if (this.#lanes.size < this.#sweepAt) return;
    for (const [id, lane] of this.#lanes) {
      if (lane.items.size === 0 && lane.finish <= this.#virtualTime) this.#lanes.delete(id);
    }
    this.#sweepAt = Math.max(64, this.#lanes.size * 2);
  }
}
