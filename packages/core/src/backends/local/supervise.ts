import { appendFileSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CANCEL_FILE } from "../../records/run-store.js";
import { type Execution, executeLocal } from "./execute.js";
import type { LocalPlan } from "./plan.js";
import { transfersFile } from "./run-files.js";
import { PLAN_FILE, SUPERVISOR_LOG } from "./supervisor-process.js";

/**
 * Asks a run's supervisor to stop it; then signal it (SIGTERM) to wake it. The
 * first request stops the run gracefully, any later one kills it at once.
 * Each request is a line of the cancel file, so that two signals that arrive
 * as one still count twice, and so that others see the run was canceled.
 */
export function requestCancel(runDir: string): void {
  appendFileSync(join(runDir, CANCEL_FILE), `${new Date().toISOString()}\n`);
}

function cancelRequests(runDir: string): number {
  try {
    return readFileSync(join(runDir, CANCEL_FILE), "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

/**
 * The supervisor's work (supervisor.ts): the plan from disk, carried out, its
 * transfers' progress written for whoever follows. What goes wrong in it is
 * written to supervisor.log.
 */
export async function superviseFromDisk(runDir: string): Promise<void> {
  const fail = (e: unknown) => {
    appendFileSync(join(runDir, SUPERVISOR_LOG), `${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  let exec: Execution | undefined;
  let signals = 0;
  let applied = 0;
  const apply = () => {
    if (!exec) return;
    for (const wanted = Math.max(signals, cancelRequests(runDir)); applied < wanted; applied++) void exec.cancel();
  };
  // installed first: whoever asks for a cancel signals only once the record exists, which comes later
  const onSignal = () => {
    signals++;
    apply();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // in a session of its own no terminal hangs up on it; should anything send one, the run goes on
  process.on("SIGHUP", () => undefined);
  const { plan, python } = JSON.parse(await readFile(join(runDir, PLAN_FILE), "utf8")) as { plan: LocalPlan; python?: string };
  const transfers = transfersFile(runDir);
  exec = executeLocal(plan, python, { onTransfer: (u) => appendFileSync(transfers, `${JSON.stringify(u)}\n`) });
  apply();
  await exec.done;
}
