/** An item of an {@link IndexedMinHeap}: its key, and where it sits (-1 when not in a heap). */
export interface HeapItem {
  heapKey: number;
  heapIndex: number;
}

/**
 * A binary min-heap whose items know their position, so an item can be removed or re-keyed in
 * O(log n). Used for due times: a deleted message leaves the heap at once instead of lingering
 * until its (possibly hours-long) visibility deadline.
 */
export class IndexedMinHeap<T extends HeapItem> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Every item, in no particular order (for inspection, not for the hot path). */
  values(): readonly T[] {
    return this.#items;
  }

  /** Inserts the item, or moves it if it is already in the heap. */
  set(item: T, key: number): void {
    if (item.heapIndex >= 0) {
      const old = item.heapKey;
      item.heapKey = key;
      if (key < old) this.#up(item.heapIndex);
      else this.#down(item.heapIndex);
      return;
    }
    item.heapKey = key;
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const last = this.#items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#up(i);
    this.#down(last.heapIndex);
  }

  #up(start: number): void {
    const items = this.#items;
    let i = start;
    const item = items[i] as T;
    while (i > 0) {
      const parentAt = (i - 1) >> 1;
      const parent = items[parentAt] as T;
      if (parent.heapKey <= item.heapKey) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentAt;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(start: number): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    const item = items[i] as T;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && (items[right] as T).heapKey < (items[left] as T).heapKey) child = right;
      const c = items[child] as T;
      if (c.heapKey >= item.heapKey) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}

/** A FIFO with amortised O(1) push and shift. */
export class Deque<T> {
  #front: T[] = [];
  #back: T[] = [];

  get size(): number {
    return this.#front.length + this.#back.length;
  }

  push(item: T): void {
    this.#back.push(item);
  }

  shift(): T | undefined {
    if (this.#front.length === 0) {
      this.#front = this.#back.reverse();
      this.#back = [];
    }
    return this.#front.pop();
  }

  /** Every item, oldest first (for inspection, not for the hot path). */
  values(): T[] {
    return [...this.#front].reverse().concat(this.#back);
  }
}
