/**
 * A small pool of worker threads answering requests, for CPU work that would otherwise hold up
 * the event loop. Workers start on first use; each request goes to the least busy one. A worker
 * that dies fails only its own requests and is replaced on the next request.
 *
 * Requests made in one turn of the event loop travel to a worker as one message, and their
 * answers come back as one: under load a message and a thread wake-up each way cost about as
 * much as a signature, so they are paid once per batch, not once per request.
 */
import { Worker } from 'node:worker_threads';

/** What a worker module receives, in batches: `{ id, request }`. */
export interface WorkerEnvelope<T> {
  id: number;
  request: T;
}

/** What it answers for each, in one message per batch: `{ id, result }` or `{ id, error }`. */
export interface WorkerAnswer {
  id: number;
  result?: unknown;
  error?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Requests of this turn, not yet posted. */
  outbox: WorkerEnvelope<unknown>[];
}

export class WorkerPool<Request> {
  readonly #slots: (Slot | undefined)[];
  #nextId = 1;
  #closed = false;

  /** `entry` is the worker module (see worker-entry.ts); `size` ≥ 1 workers. */
  constructor(
    private readonly entry: URL,
    size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a worker pool needs at least one worker');
    this.#slots = new Array(size).fill(undefined);
  }

  run<Result>(request: Request): Promise<Result> {
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    const slot = this.#leastBusy();
    const id = this.#nextId++;
    return new Promise<Result>((resolve, reject) => {
      // A busy worker keeps the process alive; an idle one does not.
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (slot.outbox.push({ id, request }) === 1) setImmediate(() => this.#post(slot));
    });
  }

  #post(slot: Slot): void {
    const batch = slot.outbox;
    slot.outbox = [];
    if (!this.#slots.includes(slot)) return; // the worker died: fail() has rejected them
    try {
      slot.worker.postMessage(batch);
    } catch {
      // A request that cannot be cloned fails alone: the others go one by one.
      for (const envelope of batch) this.#postOne(slot, envelope);
    }
  }

  #postOne(slot: Slot, envelope: WorkerEnvelope<unknown>): void {
    try {
      slot.worker.postMessage([envelope]);
    } catch (error) {
      slot.pending.get(envelope.id)?.reject(error as Error);
      slot.pending.delete(envelope.id);
      if (slot.pending.size === 0) slot.worker.unref();
    }
  }

  /** Requests posted or waiting to be posted, not yet answered, across the workers. */
  queueDepth(): number {
    let depth = 0;
    for (const slot of this.#slots) depth += slot?.pending.size ?? 0;
    return depth;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.filter((slot): slot is Slot => slot !== undefined);
    this.#slots.fill(undefined);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #leastBusy(): Slot {
    let best = -1;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (!slot) return this.#spawn(i);
      if (best < 0 || slot.pending.size < (this.#slots[best] as Slot).pending.size) best = i;
    }
    return this.#slots[best] as Slot;
  }

  #spawn(index: number): Slot {
    // A worker inherits the process's flags: compiled, it runs JavaScript; under `--import tsx`
    // (development, tests) it loads TypeScript the same way the main thread does.
    const worker = new Worker(this.entry);
    const slot: Slot = { worker, pending: new Map(), outbox: [] };
    worker.unref();
    worker.on('message', (answers: WorkerAnswer[]) => {
      for (const answer of answers) {
        const pending = slot.pending.get(answer.id);
        if (!pending) continue;
        slot.pending.delete(answer.id);
        if (answer.error !== undefined) pending.reject(new Error(answer.error));
        else pending.resolve(answer.result);
      }
      if (slot.pending.size === 0) worker.unref();
    });
    const fail = (error: Error) => {
      if (this.#slots[index] === slot) this.#slots[index] = undefined;
      for (const pending of slot.pending.values()) pending.reject(error);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker thread exited with code ${code}`)));
    this.#slots[index] = slot;
    return slot;
  }
}
