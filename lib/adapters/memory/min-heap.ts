/** A binary min-heap ordered by a numeric key; used for due times. */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #key: (item: T) => number;

  constructor(key: (item: T) => number) {
    this.#key = key;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    const k = this.#key(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (this.#key(p) <= k) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const n = items.length;
    const k = this.#key(last);
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.#key(items[right] as T) < this.#key(items[left] as T)) child = right;
      const c = items[child] as T;
      if (this.#key(c) >= k) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/** A FIFO with O(1) push and shift (a ring of arrays would do too; two stacks are simpler). */
export class Deque<T> {
  #front: T[] = [];
  #back: T[] = [];

  get size(): number {
    return this.#front.length + this.#back.length;
  }

  push(item: T): void {
    this.#back.push(item);
  }

  /** Puts an item back at the head (used when a receive returns it unconsumed). */
  unshift(item: T): void {
    this.#front.push(item);
  }

  shift(): T | undefined {
    if (this.#front.length === 0) {
      this.#front = this.#back.reverse();
      this.#back = [];
    }
    return this.#front.pop();
  }
}
