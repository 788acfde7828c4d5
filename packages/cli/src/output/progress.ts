import { isMetric, isProgress, isSummary, type LogLine, type RunEvent } from "@aves2/core";
import { duration, metricValue } from "./format.js";

/** Metrics shown on the bar and in per-epoch lines, in this order, when present. */
const SHOWN = ["loss", "accuracy", "val_loss", "val_accuracy"];

/**
 * Shows a run as it goes. On a TTY: log lines scroll above one redrawn status
 * line with a bar over the epochs and the latest metrics. Elsewhere (CI,
 * pipes): the log lines only, as they come.
 */
export class RunProgress {
  private epoch = 0;
  private epochs = 0;
  private step = 0;
  private steps = 0;
  private last: Record<string, unknown> = {};
  private barShown = false;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
    private readonly multiReplica: boolean,
  ) {}

  log(line: LogLine): void {
    const prefix = this.multiReplica ? `[${line.replica}] ` : "";
    this.clearBar();
    this.out.write(`${prefix}${line.text}\n`);
    this.drawBar(true);
  }

  event(e: RunEvent): void {
    if (isProgress(e)) {
      this.epoch = e.epoch;
      this.epochs = e.epochs;
      this.step = e.step ?? 0;
      this.steps = e.steps ?? 0;
      this.drawBar(false);
    } else if (isMetric(e)) {
      if (typeof e.epoch === "number") this.epoch = e.epoch;
      if (typeof e.epochs === "number") this.epochs = e.epochs;
      this.last = e;
      this.step = this.steps;
      // components print their own per-epoch line; the event only feeds the bar
      this.drawBar(true);
    } else if (isSummary(e)) {
      this.last = { ...this.last, ...e.metrics };
    }
  }

  /** Removes the bar before the final summary is printed. */
  finish(): void {
    this.clearBar();
  }

  private clearBar(): void {
    if (this.tty && this.barShown) this.out.write("\r\x1b[2K");
    this.barShown = false;
  }

  private drawBar(force: boolean): void {
    if (!this.tty || this.epochs === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const frac = this.epochs ? Math.min(1, (this.epoch - 1 + (this.steps ? this.step / this.steps : 0)) / this.epochs) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    const metrics = SHOWN.filter((k) => k in this.last).map((k) => `${k} ${metricValue(this.last[k])}`);
    const text = `epoch ${this.epoch}/${this.epochs} ${bar} ${Math.round(frac * 100)}%${this.steps ? ` step ${this.step}/${this.steps}` : ""}  ${metrics.join("  ")}  ${duration((now - this.started) / 1000)}`;
    const cols = this.out.columns ?? 120;
    this.out.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
    this.barShown = true;
  }
}
