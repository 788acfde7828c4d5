import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalPlan } from "./plan.js";

/**
 * Starting the process that carries a local run to its end (supervise.ts),
 * attached or not. It has a session of its own: the exit of the CLI that
 * started it (even by SIGKILL), its terminal's hangup and its Ctrl-C do not
 * reach it. This module is light (the CLI reads it at start-up, through the
 * backend's declaration): node's own modules only.
 */

const SUPERVISOR = join(dirname(fileURLToPath(import.meta.url)), "supervisor.js");
export const PLAN_FILE = "plan.json";
/** The supervisor's own messages (a crash's stack trace). */
export const SUPERVISOR_LOG = "supervisor.log";
/** `supervisor.js --standby`: loads, says it is ready, and waits for a run folder on its IPC channel. */
export const STANDBY_FLAG = "--standby";

let standby: { readonly child: ChildProcess; readonly ready: Promise<boolean> } | undefined;

/**
 * Starts a supervisor ahead of its run, so that it loads while the CLI loads
 * the engine and plans (a run then starts as soon as it would without one).
 * It exits by itself when this process does without handing it a run.
 */
export function warmSupervisor(): void {
  if (standby) return;
  const child = spawn(process.execPath, [SUPERVISOR, STANDBY_FLAG], { detached: true, stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const ready = new Promise<boolean>((res) => {
    child.once("message", () => res(true));
    child.once("exit", () => res(false));
    child.once("error", () => res(false));
  });
  // neither the process nor its channel keeps this one from exiting
  child.unref();
  child.channel?.unref();
  standby = { child, ready };
}

/** Starts the supervisor of a planned run: the one warmed for it when there is one, else a new one. */
export async function startSupervisor(plan: LocalPlan, python: string | undefined): Promise<ChildProcess> {
  mkdirSync(plan.runDir, { recursive: true });
  writeFileSync(join(plan.runDir, PLAN_FILE), JSON.stringify({ plan, python }));
  const warm = standby;
  standby = undefined;
  if (warm) {
    // waited for now: it keeps this process alive until it is ready or gone
    warm.child.ref();
    warm.child.channel?.ref();
    if ((await warm.ready) && warm.child.connected) {
      await new Promise<void>((res) => warm.child.send({ runDir: plan.runDir }, () => res()));
      warm.child.disconnect();
      warm.child.unref();
      return warm.child;
    }
  }
  const log = openSync(join(plan.runDir, SUPERVISOR_LOG), "a");
  try {
    const child = spawn(process.execPath, [SUPERVISOR, plan.runDir], { detached: true, stdio: ["ignore", "ignore", log] });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Lets a warmed supervisor go (a run that did not start): it exits. */
export function releaseSupervisor(): void {
  if (standby?.child.connected) standby.child.disconnect();
  standby = undefined;
}
