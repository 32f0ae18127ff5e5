/** Anything stored in an {@link IndexedHeap}; the heap keeps `heapIndex` current (-1 when out). */
export interface HeapEntry {
  heapIndex: number;
}

/**
 * A binary min-heap whose entries know their own position, so removal of an arbitrary entry
 * (an aborted waiter) and re-keying are O(log n) instead of a scan.
 * An entry may sit in at most one heap at a time.
 */
export class IndexedHeap<T extends HeapEntry> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Removes `item` if it is in this heap; returns whether it was. */
  remove(item: T): boolean {
    const i = item.heapIndex;
    if (i < 0 || this.#items[i] !== item) return false;
    const last = this.#items.pop() as T;
    item.heapIndex = -1;
    if (last !== item) {
      this.#items[i] = last;
      last.heapIndex = i;
      this.#up(i);
      this.#down(last.heapIndex);
    }
    return true;
  }

  /** Restores order after `item`'s key changed. */
  update(item: T): void {
    if (item.heapIndex < 0 || this.#items[item.heapIndex] !== item) return;
    this.#up(item.heapIndex);
    this.#down(item.heapIndex);
  }

  /** Empties the heap and returns what it held, in no particular order. */
  drain(): T[] {
    const all = this.#items.splice(0);
    for (const item of all) item.heapIndex = -1;
    return all;
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.#less(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#less(items[right] as T, items[left] as T)) child = right;
      const childItem = items[child] as T;
      if (!this.#less(childItem, item)) break;
      items[i] = childItem;
      childItem.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
