import { Worker } from "node:worker_threads";
import type { FileRange, Md5Sink } from "./hashers.js";

/** MD5s computed on worker threads, so that hashing overlaps with the transfer instead of stalling its sockets. */

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
