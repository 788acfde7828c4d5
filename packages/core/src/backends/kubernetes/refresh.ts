import { isTerminal, type RunRecord } from "../../records/record.js";
import { writeRecord } from "../../records/run-store.js";
import type { S3Settings } from "@aves2/storage/config";
import { apiUserError, type KubeApi } from "./api-client.js";
import { readRunEvents } from "./events.js";
import { metricsFromLog } from "./log-metrics.js";
import type { K8sObject } from "./objects.js";
import { DEFAULT_SCHEDULE_TIMEOUT } from "./options.js";
import type { KubernetesPlan } from "./plan.js";
import { details } from "./run-record.js";
import { currentPods, judge, type Verdict } from "./scheduling.js";
import { type LiveState, liveState } from "./status.js";
import { deleteDaemons, deleteRunObjects } from "./submit.js";
import { fuller, startsLate, uploadedMetrics } from "./uploaded-events.js";

/** When the run's current attempt was submitted (ms): the clock its --schedule-timeout runs on. */
export function submittedAt(record: RunRecord): number {
  return Date.parse(String(record.details.submittedAt ?? record.createdAt)) || Date.parse(record.createdAt);
}

/**
 * The cluster's state with what a run's events and scheduling say (see
 * scheduling.ts judge). Events are read only while a replica has no pod:
 * that is when admission may be refusing them.
 */
export async function verdictOf(api: KubeApi, record: RunRecord, live: LiveState, pods: readonly K8sObject[], jobs: readonly K8sObject[]): Promise<Verdict> {
  const plan = record.plan as KubernetesPlan;
  const current = currentPods(pods);
  const missing = !isTerminal(live.state) && plan.replicas.some((r) => !current.has(r));
  const events = missing ? await readRunEvents(api, details(record).namespace, jobs) : undefined;
  return judge(live, { replicas: plan.replicas, pods, ...(events ? { events } : {}), now: Date.now(), submittedAt: submittedAt(record), scheduleTimeoutSeconds: plan.options.scheduleTimeoutSeconds ?? DEFAULT_SCHEDULE_TIMEOUT });
}

/** The run's state now, without its metrics (what `logs -f` polls). */
export async function currentVerdict(api: KubeApi, record: RunRecord): Promise<Verdict> {
  const { state, pods, jobs } = await liveState(api, record);
  return verdictOf(api, record, state, pods, jobs).catch((e) => {
    throw apiUserError(e, `status of ${record.runId}`);
  });
}

export interface RefreshContext {
  readonly api: KubeApi;
  /** The local S3 settings and environment: events.jsonl is read with them. */
  readonly s3: S3Settings;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The record of a run that has not ended, brought up to date from the
 * cluster: its state and reason, and (nobody records a detached run's
 * metrics) the metrics from rank 0's log, or from the events.jsonl its
 * uploader saved where the log no longer holds them. A run given up on
 * (pods refused for good, a replica past --schedule-timeout) has its
 * objects deleted.
 */
export async function refreshRecord(ctx: RefreshContext, dir: string, record: RunRecord): Promise<RunRecord> {
  const d = details(record);
  const plan = record.plan as KubernetesPlan;
  const { state: live, pods, jobs } = await liveState(ctx.api, record);
  const verdict = await verdictOf(ctx.api, record, live, pods, jobs).catch((e) => {
    throw apiUserError(e, `status of ${record.runId}`);
  });
  if (verdict.giveUp) {
    await deleteRunObjects(ctx.api, d.namespace, d.primary, d.objects, record.runId).catch((e) => {
      throw apiUserError(e, `deleting ${record.runId}`);
    });
  }
  let metrics = record.metrics;
  if (!metrics.summary) {
    const fromLog = await metricsFromLog(ctx.api, d.namespace, plan.pods, [...currentPods(pods).values()]);
    const fromFile = startsLate(fromLog) && plan.eventsUri ? await uploadedMetrics(plan.eventsUri, ctx.s3, ctx.env, submittedAt(record)) : undefined;
    metrics = fuller(fromLog, fromFile) ?? metrics;
  }
  const { state: s, reason, startedAt, endedAt, exitCode } = verdict;
  const { reason: _old, ...rest } = record;
  const next: RunRecord = {
    ...rest,
    state: s,
    metrics,
    ...(reason ? { reason } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : isTerminal(s) ? { endedAt: new Date().toISOString() } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
  if (isTerminal(s) && d.daemons.length) await deleteDaemons(ctx.api, d.namespace, d.daemons);
  writeRecord(dir, next);
  return next;
}
