import type { ChildProcess } from "node:child_process";
import { existsSync, type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, join } from "node:path";
import { sleep } from "@aves2/storage";
import { isTerminal, type RunRecord } from "../../records/record.js";
import { eventsFile, readRecordAt } from "../../records/run-store.js";
import type { RunHandle, SubmitOptions } from "../backend.js";
import { SUPERVISOR_LOG } from "./supervisor-process.js";
import type { LocalPlan } from "./plan.js";
import { RunFiles } from "./run-files.js";
import { requestCancel } from "./supervise.js";

/** How often an attached run's files are read at the latest; a change seen by a watch wakes the reader sooner. */
const FOLLOW_MS = 100;
/** Changes that come close together are read together. */
const BATCH_MS = 5;

/**
 * An attached run: the supervisor carries it, this process follows it from
 * the run's files (logs, events, transfers) as `logs -f` does, and asks the
 * supervisor to cancel it. Should this process die, the run goes on.
 * `settle` reads the final record (ending it there if the supervisor died).
 */
export function attachRun(plan: LocalPlan, supervisor: ChildProcess, opts: SubmitOptions, settle: () => Promise<RunRecord>): RunHandle {
  const dir = plan.runDir;
  let exited = false;
  supervisor.once("exit", () => (exited = true));
  let asked = 0;
  let woken = 0;
  /** Signals the supervisor once per request, from when its record exists (its handlers are installed before it writes one). */
  const wake = () => {
    for (; woken < asked && !exited && readRecordAt(dir); woken++) supervisor.kill("SIGTERM");
  };

  const wait = async (): Promise<RunRecord> => {
    const files = new RunFiles(dir, plan.processes.map((p) => p.replica));
    const sink = { ...(opts.onLog ? { onLog: opts.onLog } : {}), ...(opts.onEvent ? { onEvent: opts.onEvent } : {}), ...(opts.onTransfer ? { onTransfer: opts.onTransfer } : {}) };
    const changes = new Changes();
    changes.watch(dir);
    supervisor.once("exit", () => changes.notify());
    try {
      for (;;) {
        // whether it had exited is taken before the files are read: what it wrote before exiting is then read below
        const gone = exited;
        const record = readRecordAt(dir);
        wake();
        if (!changes.watching(logsDir(dir)) && existsSync(logsDir(dir))) changes.watch(logsDir(dir));
        await files.drain(sink);
        if ((record && isTerminal(record.state)) || gone) break;
        await changes.next(FOLLOW_MS);
      }
    } finally {
      changes.close();
    }
    await files.drain(sink);
    if (!readRecordAt(dir)) throw new Error(`the supervisor of run ${plan.runId} exited before it started the run${messages(dir)}`);
    return settle();
  };

  const cancel = async () => {
    asked++;
    requestCancel(dir);
    wake();
  };
  return { runId: plan.runId, wait, cancel };
}

const logsDir = (runDir: string) => dirname(eventsFile(runDir));

/** Wakes the reader when the run's folders change (inotify, where there is one), else after a while. */
class Changes {
  private readonly watchers = new Map<string, FSWatcher>();
  private pending = false;
  private wakeUp: (() => void) | undefined;

  watch(dir: string): void {
    try {
      const w = watch(dir, () => this.notify());
      w.on("error", () => undefined); // polling goes on
      this.watchers.set(dir, w);
    } catch {
      // no watch on this file system: polling only
    }
  }

  watching(dir: string): boolean {
    return this.watchers.has(dir);
  }

  notify(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  /** After a change (and a moment, to read changes that come together at once), or after `ms`. */
  async next(ms: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((res) => {
        const timer = setTimeout(() => this.wakeUp?.(), ms);
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          res();
        };
      });
    }
    if (this.pending) await sleep(BATCH_MS);
    this.pending = false;
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
  }
}

function messages(dir: string): string {
  try {
    const text = readFileSync(join(dir, SUPERVISOR_LOG), "utf8").trim();
    return text ? `:\n${text}` : "";
  } catch {
    return "";
  }
}
