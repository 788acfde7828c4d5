import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { TransferUpdate } from "@aves2/storage";
import { eventsFile, logFile } from "../../records/run-store.js";
import type { RunEvent } from "../../run/events.js";
import type { LogLine } from "../backend.js";

/**
 * What a local run writes as it goes, read back as it grows: its replicas'
 * logs, its events and its transfers' progress. The supervisor writes them;
 * an attached `run`, `logs -f` and anyone else follow the run from them, so
 * the run does not depend on who is watching.
 */

/** The supervisor's progress of stage-in and stage-out, one TransferUpdate a line (beside the logs: they are saved themselves). */
export const transfersFile = (runDir: string): string => join(runDir, "transfers.jsonl");

/** The new whole lines of a growing file, from where the last read stopped. */
class LineTail {
  private offset = 0;
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly file: string) {}

  async read(): Promise<string[]> {
    const size = (await stat(this.file).catch(() => undefined))?.size ?? 0;
    if (size <= this.offset) return [];
    const fh = await open(this.file, "r");
    let text: string;
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      text = this.decoder.write(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop()!;
    return lines;
  }
}

export interface RunFileSink {
  readonly onLog?: (line: LogLine) => void;
  readonly onEvent?: (event: RunEvent, replica: string) => void;
  readonly onTransfer?: (update: TransferUpdate) => void;
}

export class RunFiles {
  private readonly logs: { replica: string; tail: LineTail }[];
  private readonly events: LineTail;
  private readonly transfers: LineTail;

  constructor(runDir: string, replicas: readonly string[]) {
    this.logs = replicas.map((replica) => ({ replica, tail: new LineTail(logFile(runDir, replica)) }));
    this.events = new LineTail(eventsFile(runDir));
    this.transfers = new LineTail(transfersFile(runDir));
  }

  /**
   * Hands what was written since the last call to the sink, in the order it
   * happened as far as separate files tell: stage-in, the replicas' output,
   * stage-out (a fast run's whole life may come in one read).
   */
  async drain(sink: RunFileSink): Promise<void> {
    const updates = (sink.onTransfer ? (await this.transfers.read()).flatMap((l) => parsed(l) ?? []) : []) as unknown as TransferUpdate[];
    for (const u of updates) if (u.direction === "in") sink.onTransfer!(u);
    if (sink.onLog) for (const { replica, tail } of this.logs) for (const text of await tail.read()) sink.onLog({ replica, stream: "stdout", text });
    if (sink.onEvent) {
      for (const line of await this.events.read()) {
        const v = parsed(line);
        if (!v) continue;
        const { replica, ...event } = v;
        sink.onEvent(event as RunEvent, String(replica));
      }
    }
    for (const u of updates) if (u.direction !== "in") sink.onTransfer!(u);
  }
}

/** A JSON object a line holds; lines are read whole, so anything else is not ours. */
function parsed(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
