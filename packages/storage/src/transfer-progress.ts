import type { TransferProgress, TransferUpdate } from "./store.js";

/** Counts a transfer as it goes and reports it at most every `everyMs` (and at the end). */
export class ProgressTracker {
  files = 0;
  bytes = 0;
  skippedFiles = 0;
  skippedBytes = 0;
  totalFiles?: number;
  totalBytes?: number;
  private last = 0;

  constructor(
    private readonly base: Pick<TransferUpdate, "name" | "direction" | "uri">,
    private readonly report: TransferProgress | undefined,
    private readonly retries: () => number = () => 0,
    private readonly everyMs = 150,
  ) {}

  totals(files: number, bytes: number): void {
    this.totalFiles = files;
    this.totalBytes = bytes;
    this.emit(true);
  }

  addBytes(n: number): void {
    this.bytes += n;
    this.emit(false);
  }

  fileDone(): void {
    this.files++;
    this.emit(false);
  }

  skipped(size: number): void {
    this.files++;
    this.skippedFiles++;
    this.skippedBytes += size;
    this.bytes += size;
    this.emit(false);
  }

  emit(force: boolean, done = false): void {
    if (!this.report) return;
    const now = Date.now();
    if (!force && !done && now - this.last < this.everyMs) return;
    this.last = now;
    this.report({
      ...this.base,
      files: this.files,
      bytes: this.bytes,
      ...(this.totalFiles !== undefined ? { totalFiles: this.totalFiles, totalBytes: this.totalBytes } : {}),
      skippedFiles: this.skippedFiles,
      skippedBytes: this.skippedBytes,
      retries: this.retries(),
      ...(done ? { done: true } : {}),
    });
  }
}
