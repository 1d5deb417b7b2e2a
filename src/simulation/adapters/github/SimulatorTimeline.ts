interface Entry<A> {
  readonly due: number
  readonly sequence: number
  readonly value: A
}

const before = <A>(left: Entry<A>, right: Entry<A>) =>
  left.due < right.due || (left.due === right.due && left.sequence < right.sequence)

/**
 * What the GitHub simulator has yet to do, earliest first: a binary heap keyed by due time, ties
 * in the order they were scheduled, so a simulation replays identically. O(log n) per entry.
 */
export class SimulatorTimeline<A> {
  private readonly heap: Array<Entry<A>> = []
  private scheduled = 0

  get size(): number {
    return this.heap.length
  }

  schedule(due: number, value: A): void {
    const heap = this.heap
    heap.push({ due, sequence: this.scheduled++, value })
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(heap[index]!, heap[parent]!)) break
      ;[heap[index], heap[parent]] = [heap[parent]!, heap[index]!]
      index = parent
    }
  }

  /** When the earliest entry is due; `undefined` when nothing is scheduled. */
  nextDue(): number | undefined {
    return this.heap[0]?.due
  }

  /** Removes and returns the earliest entry if it is due at `now` or before. */
  takeDue(now: number): { readonly due: number; readonly value: A } | undefined {
    const heap = this.heap
    const first = heap[0]
    if (first === undefined || first.due > now) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let index = 0
      for (;;) {
        const left = index * 2 + 1
        const right = left + 1
        let smallest = index
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right
        if (smallest === index) break
        ;[heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!]
        index = smallest
      }
    }
    return { due: first.due, value: first.value }
  }
}
