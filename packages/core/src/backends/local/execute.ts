import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, type WriteStream, writeFileSync } from "node:fs";
import { cp, mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { isMetric, isSummary, parseEventLine, type RunEvent } from "../../run/events.js";
import { addEvent } from "../../run/metrics.js";
import { storeFor } from "@aves2/storage";
import type { StageOptions, Transfer } from "@aves2/storage";
import { parseUri } from "@aves2/storage/uri";
import { newRunRecord, type RunRecord, type RunState } from "../../records/record.js";
import { CANCEL_FILE, eventsFile, logFile, writeRecord } from "../../records/run-store.js";
import type { LogLine, SubmitOptions } from "../backend.js";
import type { LocalPlan } from "./plan.js";
import { freePort, killGroup, spawnGroup } from "./process-group.js";
import { bootId, groupRunning, startOf } from "./process-identity.js";

/** Milliseconds between SIGTERM and SIGKILL when stopping a run. */
const KILL_GRACE_MS = 8_000;
const CANCELED = "canceled by the user";

export interface Execution {
  readonly done: Promise<RunRecord>;
  /** The first call stops the run: SIGTERM to every group, SIGKILL after a grace period. Any later call kills at once. */
  cancel(): Promise<void>;
}

/**
 * Carries out a local plan: stage code and inputs, run the replicas, stream
 * their output, stage outputs (also after a failure or a cancel), and keep
 * run.json current at each step.
 */
export function executeLocal(plan: LocalPlan, python: string | undefined, opts: Pick<SubmitOptions, "onTransfer"> = {}): Execution {
  const children = new Map<string, ChildProcess>();
  // replicas whose process has exited and whose output has ended: nothing of theirs is left to stop
  const finished = new Set<string>();
  let cancels = 0;
  // how the processes had to be stopped, for the record's reason
  let killedAtOnce = false;
  let graceKilled: string[] = [];
  const cancelFile = join(plan.runDir, CANCEL_FILE);

  const cancel = async () => {
    cancels++;
    if (cancels > 1) {
      killedAtOnce ||= stopAll("SIGKILL").length > 0;
      return;
    }
    stopAll("SIGTERM");
    // others (status, an attached CLI) learn of the cancel from this file should we die before recording it
    try {
      writeFileSync(cancelFile, `${new Date().toISOString()}\n`, { flag: "wx" });
    } catch {
      // already asked for by whoever signaled us
    }
    setTimeout(() => {
      const killed = stopAll("SIGKILL");
      if (!killedAtOnce) graceKilled = killed;
    }, KILL_GRACE_MS).unref();
  };
  /** Signals the group of every replica not yet finished (the leader may be gone while what it started lives); the replicas signaled. */
  const stopAll = (signal: NodeJS.Signals): string[] =>
    [...children].filter(([replica, child]) => !finished.has(replica) && child.pid && killGroup(child.pid, signal)).map(([replica]) => replica);
  const cancelReason = () => {
    if (killedAtOnce) return `${CANCELED}; killed at once (asked twice)`;
    if (graceKilled.length) return `${CANCELED}; ${graceKilled.join(", ")} did not stop on SIGTERM and ${graceKilled.length > 1 ? "were" : "was"} killed after ${KILL_GRACE_MS / 1000} s`;
    return CANCELED;
  };

  const done = (async (): Promise<RunRecord> => {
    let record: RunRecord = newRunRecord(plan, detailsBase(plan, python));
    const save = (patch: Partial<RunRecord>) => {
      record = { ...record, ...patch };
      writeRecord(plan.runDir, record);
    };
    await mkdir(join(plan.runDir, "logs"), { recursive: true });
    save({});

    const transfers: Transfer[] = [];
    let failure: string | undefined;
    let exitCode: number | null | undefined;
    const staging: StageOptions = { ...(plan.storage ? { s3: plan.storage.s3 } : {}), ...(opts.onTransfer ? { progress: opts.onTransfer } : {}) };
    try {
      await stageIn(plan, transfers, staging, () => save({ transfers: [...transfers] }));
      save({ transfers: [...transfers] });
      if (cancels === 0 && !existsSync(cancelFile)) {
        const result = await runReplicas(plan, python, { children, finished }, opts, (patch) => save(patch(record)));
        exitCode = result.exitCode;
        failure = result.failure;
      }
    } catch (e) {
      failure = `could not start: ${(e as Error).message}`;
    }
    const canceled = cancels > 0 || existsSync(cancelFile);
    save({ transfers: [...transfers] });
    const saveFailure = await stageOut(plan, transfers, staging, !canceled && !failure, () => save({ transfers: [...transfers] }));
    failure ??= saveFailure;
    const state: RunState = canceled ? "canceled" : failure ? "failed" : "succeeded";
    const reason = canceled ? cancelReason() : failure;
    save({ state, endedAt: new Date().toISOString(), exitCode: exitCode ?? null, transfers, ...(reason ? { reason } : {}) });
    return record;
  })();
  return { done, cancel };
}

const NOT_BUILT = (src: string) => !/(__pycache__|\.pyc)$/.test(src);

async function stageIn(plan: LocalPlan, transfers: Transfer[], staging: StageOptions, saved: () => void): Promise<void> {
  const started = Date.now();
  const code = parseUri(plan.code.from, "--code", plan.runDir);
  const store = storeFor(code, "--code");
  const codeDir = store.localPath?.(code);
  if (codeDir) {
    await cp(codeDir, plan.code.to, { recursive: true, filter: NOT_BUILT });
    transfers.push({ direction: "in", name: "code", uri: plan.code.from, local: plan.code.to, files: 0, bytes: 0, seconds: (Date.now() - started) / 1000, method: "copy" });
  } else {
    // an archive, or code in object storage: downloaded and unpacked, never linked (a process may write beside its code)
    transfers.push(await store.stageIn(code, plan.code.to, "code", { ...staging, writable: true }));
  }
  for (const lib of plan.code.libs) await cp(lib, join(plan.code.to, basename(lib)), { recursive: true, filter: NOT_BUILT });
  saved();
  for (const input of plan.inputs) {
    const uri = parseUri(input.uri, `--input ${input.name}`, plan.runDir);
    transfers.push(await storeFor(uri, `--input ${input.name}`).stageIn(uri, input.to, input.name, staging));
    saved();
  }
  for (const output of plan.outputs) await mkdir(output.dir, { recursive: true });
}

/**
 * Saves every output (each on its own: one that fails does not stop the
 * others), then the logs. A completion marker is written last in each output
 * only when the run succeeded; otherwise any old marker there is removed, so
 * partial outputs never look complete. Returns why saving failed, if it did.
 */
async function stageOut(plan: LocalPlan, transfers: Transfer[], staging: StageOptions, succeeded: boolean, saved: () => void): Promise<string | undefined> {
  const failures: string[] = [];
  for (const output of plan.outputs) {
    if (!output.uri || !existsSync(output.dir)) continue;
    try {
      const uri = parseUri(output.uri, `--output ${output.name}`, plan.runDir);
      const marker = succeeded ? { runId: plan.runId, component: `${plan.spec.component.name}@${plan.spec.component.version}` } : false;
      transfers.push(await storeFor(uri, `--output ${output.name}`).stageOut(output.dir, uri, output.name, { ...staging, marker }));
      saved();
    } catch (e) {
      failures.push(`saving ${output.name} to ${output.uri} failed: ${(e as Error).message}`);
    }
  }
  if (plan.logs) {
    try {
      const uri = parseUri(plan.logs.uri, "logs", plan.runDir);
      transfers.push(await storeFor(uri, "logs").stageOut(join(plan.runDir, "logs"), uri, "logs", staging));
      saved();
    } catch (e) {
      failures.push(`saving the logs to ${plan.logs.uri} failed: ${(e as Error).message}`);
    }
  }
  return failures.length ? failures.join("; ") : undefined;
}

type Patch = (r: RunRecord) => Partial<RunRecord>;

async function runReplicas(
  plan: LocalPlan,
  python: string | undefined,
  { children, finished }: { children: Map<string, ChildProcess>; finished: Set<string> },
  opts: SubmitOptions,
  update: (patch: Patch) => void,
): Promise<{ exitCode: number | null; failure?: string }> {
  const port = plan.processes.some((p) => p.env.MASTER_PORT === "auto") ? String(await freePort()) : undefined;
  const events = createWriteStream(eventsFile(plan.runDir), { flags: "a" });
  const logs: WriteStream[] = [];
  // the rank that failed first: the others are then stopped by us, and their SIGTERM is not the run's error
  let firstFailed: string | undefined;
  const exits = plan.processes.map((proc) => {
    const argv = python ? [python, ...proc.argv.slice(1)] : [...proc.argv];
    const env = { ...process.env, ...proc.env, ...(port && proc.env.MASTER_PORT === "auto" ? { MASTER_PORT: port } : {}) };
    const child = spawnGroup(argv, proc.cwd, env);
    children.set(proc.replica, child);
    const log = createWriteStream(logFile(plan.runDir, proc.replica), { flags: "a" });
    logs.push(log);
    const lastErr: string[] = [];
    const onLine = (stream: LogLine["stream"]) => (text: string) => {
      const event = parseEventLine(text);
      if (event) {
        events.write(`${JSON.stringify({ replica: proc.replica, ...event })}\n`);
        recordEvent(event, update);
        return;
      }
      log.write(`${text}\n`);
      if (stream === "stderr" && text.trim()) lastErr.splice(0, lastErr.length >= 3 ? 1 : 0, text.trim());
    };
    const streamsClosed = Promise.all(
      (["stdout", "stderr"] as const).map(
        (s) =>
          new Promise<void>((res) => {
            const rl = createInterface({ input: child[s]!, crlfDelay: Number.POSITIVE_INFINITY });
            rl.on("line", onLine(s));
            rl.on("close", res);
          }),
      ),
    );
    return new Promise<{ replica: string; code: number | null; signal: NodeJS.Signals | null; lastErr: string[]; error?: Error }>((res) => {
      child.once("error", (error) => {
        firstFailed ??= proc.replica;
        finished.add(proc.replica);
        res({ replica: proc.replica, code: null, signal: null, lastErr, error });
      });
      child.once("exit", (code, signal) => {
        if (code !== 0) firstFailed ??= proc.replica;
        // a failed rank takes the others down with it: they would otherwise wait forever on a collective
        if (code !== 0) for (const [r, c] of children) if (r !== proc.replica && c.pid && c.exitCode === null) killGroup(c.pid, "SIGTERM");
        void streamsClosed.then(() => {
          finished.add(proc.replica);
          res({ replica: proc.replica, code, signal, lastErr });
        });
      });
    });
  });
  // each group's leader as a pid with its start time: whoever finds the supervisor gone can stop exactly these
  const pids = Object.fromEntries([...children].flatMap(([r, c]) => (c.pid ? [[r, c.pid]] : [])));
  const pidStarts = Object.fromEntries(
    Object.entries(pids).flatMap(([r, pid]) => {
      const start = startOf(pid);
      return start === undefined ? [] : [[r, start]];
    }),
  );
  update(() => ({ state: "running", startedAt: new Date().toISOString(), details: { ...detailsBase(plan, python), pids, pidStarts } }));
  const results = await Promise.all(exits);
  await Promise.all([...logs, events].map((s) => new Promise((res) => s.end(res))));
  // what a replica left behind in its group (a helper it started and did not stop) ends with the run
  for (const [replica, pid] of Object.entries(pids)) if (groupRunning(pid, pidStarts[replica])) killGroup(pid, "SIGKILL");

  const failed = results.find((r) => r.replica === firstFailed) ?? results.find((r) => r.error || r.code !== 0);
  if (!failed) return { exitCode: 0 };
  const why = failed.error
    ? `could not start ${plan.processes[0]!.argv[0]}: ${failed.error.message}`
    : failed.signal
      ? `killed by ${failed.signal}${failed.signal === "SIGKILL" ? " (out of memory?)" : ""}`
      : `exited with code ${failed.code}`;
  const tail = failed.lastErr.length ? `: ${failed.lastErr[failed.lastErr.length - 1]}` : "";
  return { exitCode: failed.code, failure: `${failed.replica} ${why}${tail}` };
}

/** This process carries the run: its pid with its start time and the boot, so that a reused pid never passes for it. */
function detailsBase(plan: LocalPlan, python: string | undefined): Record<string, unknown> {
  const start = startOf(process.pid);
  const boot = bootId();
  return {
    supervisorPid: process.pid,
    ...(start !== undefined ? { supervisorStart: start } : {}),
    ...(boot ? { bootId: boot } : {}),
    ...(python ? { python } : {}),
    replicas: plan.processes.map((p) => p.replica),
  };
}

function recordEvent(event: RunEvent, update: (patch: Patch) => void): void {
  if (isMetric(event) || isSummary(event)) update((r) => ({ metrics: addEvent(r.metrics, event) ?? r.metrics }));
}
