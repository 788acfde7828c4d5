import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { isTerminal, type RunRecord } from "../../records/record.js";
import { CANCEL_FILE, eventsFile, logFile, readRecordAt, writeRecord } from "../../records/run-store.js";
import { sleep } from "@aves2/storage";
import { parseEventLine } from "../../run/events.js";
import { addEvent } from "../../run/metrics.js";
import type { SubmitOptions } from "../backend.js";
import { type ApiError, apiUserError } from "./api-client.js";
import { attemptOf, podSelector } from "./attempts.js";
import type { Connection } from "./connection.js";
import { readRunEvents, type RunEvents } from "./events.js";
import { type PodSource, streamLogs, trainingContainers } from "./logs.js";
import { LABEL } from "./names.js";
import { type K8sObject, refOf, resourcePath } from "./objects.js";
import { DEFAULT_SCHEDULE_TIMEOUT } from "./options.js";
import { accessOf, forbiddenText } from "./permissions.js";
import type { KubernetesPlan } from "./plan.js";
import { submittedAt } from "./refresh.js";
import { currentPods, judge, waitingReplicas } from "./scheduling.js";
import { type LiveState, mapState } from "./status.js";
import { deleteDaemons, deleteRunObjects } from "./submit.js";
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
 * its attempt's pods (for the state), streams every replica's log
 * (AVES2_EVENT lines become progress and metrics), and keeps run.json
 * current. While a replica has no node or no pod, the run's events are read
 * every poll (pods admission refuses), and --schedule-timeout is kept: a run
 * given up on has its objects deleted. What the user's role may not do
 * (watch, read a log) is said once, and the run followed without it.
 */
export function followRun(plan: KubernetesPlan, conn: Connection, opts: SubmitOptions, ctx: FollowContext): { done: Promise<RunRecord>; cancel: () => Promise<void> } {
  const ac = new AbortController();
  const ns = plan.target.namespace;
  const selector = `${LABEL.runId}=${plan.runId}`;
  let runEvents: RunEvents | undefined;
  let givingUp = false;
  let jobs: readonly K8sObject[] = [];
  let pods: readonly K8sObject[] = [];
  let seenPrimary = false;
  let canceling = false;
  let live: LiveState = { state: "pending" };
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  let record = readRecordAt(plan.runDir)!;
  const podsSelector = podSelector(plan.runId, plan.objects, attemptOf(record));
  const since = submittedAt(record);
  const save = (patch: Partial<RunRecord>) => {
    record = { ...record, ...patch };
    writeRecord(plan.runDir, record);
  };
  /** Said once, as a line of the run's output, and kept in the record. */
  const said = new Set<string>();
  const note = (text: string) => {
    if (said.has(text)) return;
    said.add(text);
    save({ details: { ...record.details, warnings: [...said] } });
    opts.onLog?.({ replica: "aves2", stream: "stderr", text });
  };
  const forbidden = (what: string) => (e: ApiError) => note(`${e.request ? forbiddenText(accessOf(e.request)) : e.message}; ${what}`);
  const recompute = () => {
    // given up on: its objects are going, and their going is no news
    if (givingUp) return;
    const primary = jobs.find((o) => o.kind === plan.primary.kind && o.metadata.name === plan.primary.name);
    if (primary) seenPrimary = true;
    if (!primary && !seenPrimary) return;
    const others = jobs.filter((o) => o !== primary);
    // canceled here, or by `cancel` in another process (which deletes the job: that is no failure)
    const verdict = judge(mapState(plan, primary, others, pods), { replicas: plan.replicas, pods, ...(runEvents ? { events: runEvents } : {}), now: Date.now(), submittedAt: since, scheduleTimeoutSeconds: plan.options.scheduleTimeoutSeconds ?? DEFAULT_SCHEDULE_TIMEOUT });
    const next = canceling || existsSync(join(plan.runDir, CANCEL_FILE)) ? { ...live, state: "canceled" as const, reason: "canceled by the user" } : verdict;
    if (verdict.giveUp && next === verdict && !givingUp) {
      // pods refused for good, or a replica past --schedule-timeout: nothing would ever change
      givingUp = true;
      void deleteRunObjects(conn.api, ns, plan.primary, plan.objects.map(refOf), plan.runId).catch(() => undefined);
    }
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
  const polling = { pollMs: ctx.pollMs ?? 2_000, onWatchForbidden: forbidden("following it by listing instead") };
  // the primary's kind: for the native engine that is Job, which covers every Job of the run
  const informers = [
    inform({ api: conn.api, path: resourcePath(plan.primary.kind, ns), kind: plan.primary, labelSelector: selector, signal: ac.signal, stats: ctx.watchStats, ...polling, onChange: (o) => {
        jobs = o;
        recompute();
      } }),
    inform({ api: conn.api, path: resourcePath("Pod", ns), kind: { kind: "Pod", apiVersion: "v1" }, labelSelector: podsSelector, signal: ac.signal, stats: ctx.watchStats, ...polling, onChange: (o) => {
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
    const streaming = streamLogs({ api: conn.api, namespace: ns, pods: podSource, containersOf, follow: true, onLine, ended: async () => isTerminal(live.state), signal: ac.signal, onForbidden: forbidden("the run goes on without its log here"), ...(ctx.pollMs ? { pollMs: ctx.pollMs } : {}) }).catch((e: unknown) => e);
    const waiting = watchPending().catch(() => undefined);
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
    await Promise.all([...informers, waiting]);
    await Promise.all([...logs.values(), events].map((s) => new Promise((r) => s.end(r))));
    if (plan.daemons.length && !canceling) await deleteDaemons(conn.api, ns, plan.daemons);
    const final = readRecordAt(plan.runDir) ?? record;
    return final;
  })();

  /** While a replica has no pod or no node: its events (a refusing admission) and the clock (--schedule-timeout), every poll. */
  async function watchPending(): Promise<void> {
    while (!ac.signal.aborted && !isTerminal(live.state)) {
      await sleep(ctx.pollMs ?? 2_000, ac.signal);
      if (ac.signal.aborted) return;
      if (waitingReplicas(plan.replicas, pods, since).length === 0) continue;
      const current = currentPods(pods);
      if (plan.replicas.some((r) => !current.has(r))) runEvents = await readRunEvents(conn.api, ns, jobs.filter((j) => j.metadata.uid)).catch(() => runEvents);
      recompute();
    }
  }

  const cancel = async () => {
    canceling = true;
    await ctx.cancel(plan.runId);
    live = { ...live, state: "canceled" };
    record = readRecordAt(plan.runDir) ?? record;
    resolveEnd();
  };
  return { done, cancel };
}
