/**
 * The stack's one timer structure for TCP: an indexed binary min-heap of items keyed by their
 * next deadline (ms). Updating one item's deadline is O(log n); the earliest is O(1).
 * Items with no deadline (Infinity) are kept out of the heap.
 */
export interface HeapItem {
  /** The deadline the item is filed under (Infinity when not in the heap). */
  deadline: number;
  /** Position in the heap array, -1 when absent. Owned by the heap. */
  heapIndex: number;
}

export class DeadlineHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest deadline, or Infinity. */
  earliest(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.deadline;
  }

  /** The item with the earliest deadline, if any. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** File `item` under `deadline` (Infinity removes it). */
  update(item: T, deadline: number): void {
    if (!(deadline < Infinity)) {
      this.remove(item);
      item.deadline = Infinity;
      return;
    }
    if (item.heapIndex < 0) {
      item.deadline = deadline;
      item.heapIndex = this.items.length;
      this.items.push(item);
      this.siftUp(item.heapIndex);
      return;
    }
    const earlier = deadline < item.deadline;
    item.deadline = deadline;
    if (earlier) this.siftUp(item.heapIndex);
    else this.siftDown(item.heapIndex);
  }

  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0) return;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }

  private siftUp(index: number): void {
    const items = this.items;
    const item = items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.deadline <= item.deadline) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  private siftDown(index: number): void {
    const items = this.items;
    const length = items.length;
    const item = items[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && items[right]!.deadline < items[child]!.deadline) child = right;
      const smaller = items[child]!;
      if (smaller.deadline >= item.deadline) break;
      items[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
