import { createHash, type Hash } from "node:crypto";

/** MD5s over data that arrives in pieces: in order, out of order (parallel ranges and parts), or as ranges of a file. */

/** Hashes a stream of chunks as a whole and, optionally, per part of `partSize` bytes. */
export class StreamHasher {
  private readonly whole = createHash("md5");
  private part: Hash | undefined;
  private partFill = 0;
  readonly parts: Buffer[] = [];

  constructor(private readonly partSize?: number) {
    if (partSize) this.part = createHash("md5");
  }

  update(chunk: Buffer): void {
    this.whole.update(chunk);
    if (!this.partSize) return;
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.partSize - this.partFill, chunk.length - off);
      this.part!.update(chunk.subarray(off, off + take));
      this.partFill += take;
      off += take;
      if (this.partFill === this.partSize) {
        this.parts.push(this.part!.digest());
        this.part = createHash("md5");
        this.partFill = 0;
      }
    }
  }

  /** The whole MD5 (hex) and the per-part MD5s. */
  finish(): { md5: string; parts: Buffer[] } {
    if (this.partSize && this.partFill > 0) this.parts.push(this.part!.digest());
    return { md5: this.whole.digest("hex"), parts: this.parts };
  }
}

/** One MD5 over pieces given in order. */
export interface Md5Sink<P = Buffer> {
  /** The piece may be taken over: callers are done with it. */
  update(piece: P): void;
  digest(): Promise<string>;
  /** Frees it without a digest (the transfer failed). */
  close(): void;
}

/** A stretch of a file that is written. */
export interface FileRange {
  readonly start: number;
  readonly length: number;
}

/** An MD5 on this thread, for small data and tests. */
export class InlineMd5 implements Md5Sink {
  private readonly hash = createHash("md5");
  update(piece: Buffer): void {
    this.hash.update(piece);
  }
  async digest(): Promise<string> {
    return this.hash.digest("hex");
  }
  close(): void {}
}

/**
 * Feeds pieces that arrive out of order (parallel ranges, parallel parts) to
 * one MD5 in order; holds at most the pieces ahead of the next one.
 */
export class OrderedHasher<P = Buffer> {
  private next = 0;
  private readonly pending = new Map<number, P>();
  private readonly waiters: { index: number; go: () => void }[] = [];

  /** `window`: how far ahead of the next piece to hash a piece may start (bounds what is held). */
  constructor(
    private readonly window = 16,
    private readonly hash: Md5Sink<P> = new InlineMd5() as unknown as Md5Sink<P>,
  ) {}

  /** Resolves when piece `index` may be fetched without getting too far ahead. */
  async turn(index: number): Promise<void> {
    if (index < this.next + this.window) return;
    await new Promise<void>((go) => this.waiters.push({ index, go }));
  }

  /** Takes `piece` over (see Md5Sink.update): add it once it is written or sent. */
  add(index: number, piece: P): void {
    this.pending.set(index, piece);
    for (let p = this.pending.get(this.next); p !== undefined; p = this.pending.get(this.next)) {
      this.hash.update(p);
      this.pending.delete(this.next);
      this.next++;
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.index < this.next + this.window) {
        this.waiters.splice(i, 1);
        w.go();
      }
    }
  }

  async digest(): Promise<string> {
    if (this.pending.size > 0) {
      this.hash.close();
      throw new Error(`ordered hash finished with ${this.pending.size} pieces missing before ${this.next}`);
    }
    return this.hash.digest();
  }

  close(): void {
    this.hash.close();
  }
}

/**
 * The MD5 of a file written as equal ranges in parallel, each range from its
 * start onwards (a retry writes the same bytes again). Bytes are handed to the
 * sink as soon as everything before them is written, a flush at a time, not a
 * whole range at a time: the hash then runs right behind the oldest range, and
 * little is left to hash after the last byte arrives (with whole ranges, up to
 * all the ranges in flight were: on a busy machine, a core alone at the end).
 */
export class FrontierHasher {
  /** Everything before it is written and handed to the sink. */
  private frontier = 0;
  /** Range index → bytes written from its start. */
  private readonly written = new Map<number, number>();
  private readonly waiters: { index: number; go: () => void }[] = [];

  /** `window`: how many ranges past the one at the frontier may be fetched (bounds how far the hash lags). */
  constructor(
    private readonly size: number,
    private readonly range: number,
    private readonly window: number,
    private readonly hash: Md5Sink<FileRange>,
  ) {}

  /** Resolves when range `index` may be fetched without getting too far ahead of the hash. */
  async turn(index: number): Promise<void> {
    if (this.allowed(index)) return;
    await new Promise<void>((go) => this.waiters.push({ index, go }));
  }

  private allowed(index: number): boolean {
    return index < Math.floor(this.frontier / this.range) + this.window;
  }

  /** Range `index` now has its first `bytes` bytes written. */
  progress(index: number, bytes: number): void {
    this.written.set(index, Math.max(this.written.get(index) ?? 0, bytes));
    const from = this.frontier;
    while (this.frontier < this.size) {
      const i = Math.floor(this.frontier / this.range);
      const end = i * this.range + (this.written.get(i) ?? 0);
      if (end <= this.frontier) break;
      this.frontier = end;
      if (end === Math.min(this.size, (i + 1) * this.range)) this.written.delete(i);
    }
    if (this.frontier === from) return;
    this.hash.update({ start: from, length: this.frontier - from });
    for (let k = this.waiters.length - 1; k >= 0; k--) {
      const w = this.waiters[k]!;
      if (this.allowed(w.index)) {
        this.waiters.splice(k, 1);
        w.go();
      }
    }
  }

  async digest(): Promise<string> {
    if (this.frontier !== this.size) {
      this.hash.close();
      throw new Error(`hashed ${this.frontier} bytes of ${this.size}`);
    }
    return this.hash.digest();
  }

  close(): void {
    this.hash.close();
  }
}
