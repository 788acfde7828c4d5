import type { Transfer, TransferUpdate } from "./store.js";

/**
 * Transfers as people read them: sizes, durations, a live view of transfers
 * as they go, the line a finished sync ends with. Shared by the CLI and this
 * package's own `aves2-storage`. No engine code: cheap to import.
 */

/** `12.5s`, `3m05s`, `1h02m`; `-` for what is not a duration. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "-";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}


/** `512 B`, `1.50 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

interface Seen {
  readonly started: number;
  lastLine: number;
}

/**
 * Shows transfers as they go. On a TTY: one redrawn line per transfer with
 * files, bytes, rate and ETA, then a summary line. Elsewhere: a plain line
 * every few seconds and one at the end. `json`: one JSON event per update.
 */
export class TransferView {
  private readonly seen = new Map<string, Seen>();
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly mode: "tty" | "lines" | "json",
    private readonly everyMs = 5_000,
  ) {}

  update(u: TransferUpdate): void {
    const key = `${u.direction}:${u.name}:${u.uri}`;
    let s = this.seen.get(key);
    if (!s) {
      // plain lines: the first comes after `everyMs` (short transfers print only their summary)
      s = { started: Date.now(), lastLine: Date.now() };
      this.seen.set(key, s);
    }
    if (this.mode === "json") {
      this.out.write(`${JSON.stringify({ type: u.done ? "transfer-done" : "transfer", ...u, seconds: (Date.now() - s.started) / 1000 })}\n`);
      return;
    }
    const text = describe(u, (Date.now() - s.started) / 1000);
    if (this.mode === "tty") {
      const cols = this.out.columns ?? 120;
      this.out.write(`\r\x1b[2K${text.slice(0, cols - 1)}${u.done ? "\n" : ""}`);
      this.shown = !u.done;
      return;
    }
    const now = Date.now();
    if (u.done || now - s.lastLine >= this.everyMs) {
      s.lastLine = now;
      this.out.write(`${text}\n`);
    }
  }

  /** Clears a half-drawn line before other output. */
  clear(): void {
    if (this.mode === "tty" && this.shown) this.out.write("\r\x1b[2K");
    this.shown = false;
  }
}

function describe(u: TransferUpdate, seconds: number): string {
  const arrow = u.direction === "in" ? "↓" : "↑";
  const moved = u.bytes - (u.skippedBytes ?? 0);
  const rate = seconds > 0 ? moved / seconds : 0;
  const files = u.totalFiles !== undefined ? `${u.files}/${u.totalFiles} files` : `${u.files} files`;
  const size = u.totalBytes !== undefined ? `${bytes(u.bytes)}/${bytes(u.totalBytes)}` : bytes(u.bytes);
  const skipped = u.skippedFiles ? `, ${u.skippedFiles} unchanged` : "";
  const retries = u.retries ? `, ${u.retries} retried` : "";
  if (u.done) return `${arrow} ${u.name} ${u.uri}: ${files}, ${size} in ${duration(seconds)} (${bytes(rate)}/s)${skipped}${retries}`;
  const left = u.totalBytes !== undefined && rate > 0 ? (u.totalBytes - u.bytes) / rate : Number.NaN;
  return `${arrow} ${u.name}  ${files}  ${size}  ${bytes(rate)}/s  ETA ${Number.isFinite(left) ? duration(left) : "-"}${skipped}${retries}`;
}

/** Colour for the line a sync ends with (none by default). */
export interface Paint {
  readonly ok: (s: string) => string;
  readonly faint: (s: string) => string;
}

const PLAIN: Paint = { ok: (s) => s, faint: (s) => s };

/** `✓ uploaded 3 files (1.50 MB) to s3://... in 0.4s, 3.75 MB/s; 1 unchanged`: how a sync ended. */
export function syncResultLine(t: Transfer, paint: Paint = PLAIN): string {
  const verb = t.direction === "out" ? "uploaded" : "downloaded";
  const rate = t.seconds > 0 ? `, ${bytes(t.bytes / t.seconds)}/s` : "";
  return (
    `${paint.ok("✓")} ${verb} ${t.files} file${t.files === 1 ? "" : "s"} (${bytes(t.bytes)}) ${t.direction === "out" ? "to" : "from"} ${t.uri} in ${t.seconds.toFixed(1)}s${rate}` +
    `${t.skipped ? `; ${t.skipped} unchanged` : ""}${t.unverified ? `; ${t.unverified} checked by size only (no checksum the server's ETag allows)` : ""}${t.marker ? `; wrote ${t.marker}` : ""}${t.retries ? paint.faint(`; ${t.retries} requests retried`) : ""}\n`
  );
}
