import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { isTerminal, type RunRecord } from "../../records/record.js";
import { CANCEL_FILE, eventsFile, logFile, readRecordAt, writeRecord } from "../../records/run-store.js";
import { sleep } from "@aves2/storage";
import { parseEventLine } from "../../run/events.js";
import { addEvent } from "../../run/metrics.js";
import type { SubmitOptions } from "../backend.js";
import { apiUserError } from "./api-client.js";
import type { Connection } from "./connection.js";
import { type PodSource, streamLogs, trainingContainers } from "./logs.js";
import { LABEL } from "./names.js";
import { type K8sObject, resourcePath } from "./objects.js";
import type { KubernetesPlan } from "./plan.js";
import { type LiveState, mapState } from "./status.js";
import { deleteDaemons } from "./submit.js";
import { inform, type WatchStats } from "./watch.js";

/** What following a run needs of the backend. */
export interface FollowContext {
  /** Counted across runs (tests read them). */
  readonly watchStats: WatchStats;
  readonly pollMs?: number;
  /** Cancels the run as `component cancel` does. */
  readonly cancel: (runId: string) => Promise<unknown>;
}

/**
 * Follows a submitted run to its end, as `run` does: watches its jobs and
 * pods (for the state), streams every replica's log (AVES2_EVENT lines
 * become progress and metrics), and keeps run.json current.
 */
export function followRun(plan: KubernetesPlan, conn: Connection, opts: SubmitOptions, ctx: FollowContext): { done: Promise<RunRecord>; cancel: () => Promise<void> } {
  const ac = new AbortController();
  const ns = plan.target.namespace;
  const selector = `${LABEL.runId}=${plan.runId}`;
  let jobs: readonly K8sObject[] = [];
  let pods: readonly K8sObject[] = [];
  let seenPrimary = false;
  let canceling = false;
  let live: LiveState = { state: "pending" };
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  let record = readRecordAt(plan.runDir)!;
  const save = (patch: Partial<RunRecord>) => {
    record = { ...record, ...patch };
    writeRecord(plan.runDir, record);
  };
  const recompute = () => {
    const primary = jobs.find((o) => o.kind === plan.primary.kind && o.metadata.name === plan.primary.name);
    if (primary) seenPrimary = true;
    if (!primary && !seenPrimary) return;
    const others = jobs.filter((o) => o !== primary);
    // canceled here, or by `cancel` in another process (which deletes the job: that is no failure)
    const next = canceling || existsSync(join(plan.runDir, CANCEL_FILE)) ? { ...live, state: "canceled" as const, reason: "canceled by the user" } : mapState(plan, primary, others, pods);
    // a job may report its end before its pod's exit code arrives: that arriving later is news too
    if (next.state !== live.state || next.reason !== live.reason || next.exitCode !== live.exitCode) {
      live = next;
      const { state, reason, startedAt, endedAt, exitCode } = next;
      // a reason of the past (Unschedulable, an image pull back-off) is no reason any more
      const { reason: _old, ...rest } = record;
      record = { ...rest, state, ...(reason ? { reason } : {}), ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}), ...(exitCode !== undefined ? { exitCode } : {}) };
      writeRecord(plan.runDir, record);
    }
    if (isTerminal(live.state)) resolveEnd();
  };
  // the primary's kind: for the native engine that is Job, which covers every Job of the run
  const informers = [
    inform({ api: conn.api, path: resourcePath(plan.primary.kind, ns), kind: plan.primary, labelSelector: selector, signal: ac.signal, stats: ctx.watchStats, onChange: (o) => {
        jobs = o;
        recompute();
      } }),
    inform({ api: conn.api, path: resourcePath("Pod", ns), kind: { kind: "Pod", apiVersion: "v1" }, labelSelector: selector, signal: ac.signal, stats: ctx.watchStats, onChange: (o) => {
        pods = o;
        recompute();
      } }),
  ].map((p) => p.catch((e: unknown) => e));
  const podSource: PodSource = { current: () => pods, refresh: async () => undefined };

  const logs = new Map<string, WriteStream>();
  const events = createWriteStream(eventsFile(plan.runDir), { flags: "a" });
  const onLine = (replica: string, text: string) => {
    const event = parseEventLine(text);
    if (event) {
      events.write(`${JSON.stringify({ replica, ...event })}\n`);
      const metrics = addEvent(record.metrics, event);
      if (metrics) save({ metrics });
      opts.onEvent?.(event, replica);
      return;
    }
    let log = logs.get(replica);
    if (!log) {
      log = createWriteStream(logFile(plan.runDir, replica), { flags: "a" });
      logs.set(replica, log);
    }
    log.write(`${text}\n`);
    opts.onLog?.({ replica, stream: "stdout", text });
  };
  const containersOf = trainingContainers(plan.pods);

  const done = (async (): Promise<RunRecord> => {
    const streaming = streamLogs({ api: conn.api, namespace: ns, pods: podSource, containersOf, follow: true, onLine, ended: async () => isTerminal(live.state), signal: ac.signal, ...(ctx.pollMs ? { pollMs: ctx.pollMs } : {}) }).catch((e: unknown) => e);
    const failed = Promise.race(informers.map((p) => p.then((e) => (e ? Promise.resolve(e) : new Promise<never>(() => undefined)))));
    const first = await Promise.race([ended.then(() => undefined), failed]);
    if (first) {
      ac.abort();
      throw apiUserError(first, `following ${plan.runId}`);
    }
    // the last lines have a while to arrive; the timer must not keep the process alive after that
    const drained = new AbortController();
    await Promise.race([streaming, sleep(30_000, drained.signal)]);
    drained.abort();
    if ((live.state === "succeeded" || live.state === "failed") && live.exitCode === undefined) {
      // the pods' watch may not have delivered the final container status yet: read it once
      const listed = await conn.api.request<{ items?: K8sObject[] }>("GET", resourcePath("Pod", ns), { query: { labelSelector: selector } }).catch(() => undefined);
      if (listed?.items) {
        pods = listed.items.map((p) => ({ ...p, kind: "Pod", apiVersion: "v1" }));
        recompute();
      }
    }
    ac.abort();
    await Promise.all(informers);
    await Promise.all([...logs.values(), events].map((s) => new Promise((r) => s.end(r))));
    if (plan.daemons.length && !canceling) await deleteDaemons(conn.api, ns, plan.daemons);
    const final = readRecordAt(plan.runDir) ?? record;
    return final;
  })();

  const cancel = async () => {
    canceling = true;
    await ctx.cancel(plan.runId);
    live = { ...live, state: "canceled" };
    record = readRecordAt(plan.runDir) ?? record;
    resolveEnd();
  };
  return { done, cancel };
}
