import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";

/**
 * S3 ETags are the MD5 of the object for a single PUT, and
 * `md5(md5(part1) ‖ md5(part2) ‖ ...)-N` for a multipart upload (AWS, Ceph,
 * MinIO; some servers, s3rver among them, return the plain MD5 for both).
 * Objects are checked against whichever form the server gave.
 */
export function normalizeEtag(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "").toLowerCase();
}

export function isPlainMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}

/** `<hex>-N` → N, else undefined. */
export function multipartCount(etag: string): number | undefined {
  const m = /^[0-9a-f]{32}-(\d+)$/.exec(etag);
  return m ? Number(m[1]) : undefined;
}

export function compositeEtag(partMd5s: readonly Buffer[]): string {
  const h = createHash("md5");
  for (const p of partMd5s) h.update(p);
  return `${h.digest("hex")}-${partMd5s.length}`;
}

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

const MD5_WORKER = `
const { parentPort } = require("node:worker_threads");
const hash = require("node:crypto").createHash("md5");
parentPort.on("message", (m) => (m === null ? parentPort.postMessage(hash.digest("hex")) : hash.update(m)));
`;

/**
 * An MD5 computed by a worker thread: the pieces are posted to it and `null`
 * asks for the digest. An MD5 being fed must not keep the process alive by
 * itself, so the worker is referenced only while a digest is awaited.
 */
abstract class WorkerMd5<P> implements Md5Sink<P> {
  protected readonly worker: Worker;
  private failed: Error | undefined;

  constructor(source: string, workerData?: unknown) {
    this.worker = new Worker(source, { eval: true, workerData });
    this.worker.unref();
    this.worker.on("error", (e) => (this.failed ??= e));
  }

  abstract update(piece: P): void;

  async digest(): Promise<string> {
    this.worker.ref();
    try {
      return await new Promise<string>((resolve, reject) => {
        if (this.failed) return reject(this.failed);
        this.worker.once("message", resolve);
        this.worker.once("error", reject);
        this.worker.postMessage(null);
      });
    } finally {
      this.close();
    }
  }

  close(): void {
    void this.worker.terminate();
  }
}

/**
 * An MD5 computed on another thread. Hashing a large file takes about a
 * second of CPU, which on the main thread is a second the sockets are not
 * read; there it overlaps with the transfer. Pieces are copied to the thread.
 */
export class BackgroundMd5 extends WorkerMd5<Buffer> {
  constructor() {
    super(MD5_WORKER);
  }

  /** Hands `piece` over: a buffer that owns its memory is moved, not copied, and must not be used after. */
  update(piece: Buffer): void {
    const owns = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength && piece.buffer instanceof ArrayBuffer;
    this.worker.postMessage(piece, owns ? [piece.buffer as ArrayBuffer] : []);
  }
}

const FILE_MD5_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const hash = require("node:crypto").createHash("md5");
const fd = fs.openSync(workerData, "r");
const buf = Buffer.allocUnsafe(4 << 20);
parentPort.on("message", (m) => {
  if (m === null) {
    fs.closeSync(fd);
    parentPort.postMessage(hash.digest("hex"));
    return;
  }
  for (let pos = m.start, left = m.length; left > 0; ) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, left), pos);
    if (n <= 0) throw new Error("the file is shorter than what was written to it");
    hash.update(buf.subarray(0, n));
    pos += n;
    left -= n;
  }
});
`;

/** A stretch of a file that is written. */
export interface FileRange {
  readonly start: number;
  readonly length: number;
}

/**
 * The MD5 of a file being written in ranges, computed on another thread that
 * reads each range back (from the page cache) once it is written: the
 * downloaded bytes are neither gathered nor copied on the main thread.
 */
export class FileMd5 extends WorkerMd5<FileRange> {
  constructor(file: string) {
    super(FILE_MD5_WORKER, file);
  }

  update(range: FileRange): void {
    this.worker.postMessage({ start: range.start, length: range.length });
  }
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

export interface ObjectFacts {
  readonly size: number;
  readonly etag: string;
  /** Our own uploads carry the whole MD5 in `x-amz-meta-md5`. */
  readonly md5?: string;
  /** Encrypted objects (SSE-KMS, SSE-C) have ETags that are not MD5s. */
  readonly opaqueEtag?: boolean;
}

/**
 * Whether bytes with this MD5 (and these part MD5s of `partSize`) are the
 * object: `true` checked, `false` a mismatch, `undefined` when the ETag says
 * nothing we can check (then only the size was): an encrypted object, or a
 * multipart one whose part size the server did not tell. A part size is
 * never guessed: uploaders use 5, 8, 15, 16 MiB and more, and a wrong guess
 * would call a good object corrupt.
 */
export function matchesObject(obj: ObjectFacts, got: { md5?: string; parts?: readonly Buffer[]; partSize?: number }): boolean | undefined {
  if (obj.md5 && got.md5) return obj.md5 === got.md5;
  const etag = normalizeEtag(obj.etag);
  if (obj.opaqueEtag) return undefined;
  if (isPlainMd5(etag)) return got.md5 === undefined ? undefined : got.md5 === etag;
  const n = multipartCount(etag);
  if (n !== undefined && got.parts && got.partSize && got.parts.length === n) return compositeEtag(got.parts) === etag;
  return undefined;
}
