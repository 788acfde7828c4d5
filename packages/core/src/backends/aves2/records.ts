import { UserError } from "../../errors.js";
import { foreignRecord, type RunRecord, TERMINAL_STATES } from "../../records/record.js";
import type { RunEvent } from "../../run/events.js";
import { addEvent } from "../../run/metrics.js";
import type { Aves2Job } from "./client.js";
import { stateOf } from "./status-map.js";
import { readRecords } from "../../records/run-store.js";

/** The AVES2 runs recorded here. */
export function aves2Records(runsDir: string): RunRecord[] {
  return readRecords(runsDir, "aves2");
}

/** A recorded AVES2 run by run id, unique prefix, or server job id; undefined when none. */
export function findAves2Record(runsDir: string, id: string): RunRecord | undefined {
  const all = aves2Records(runsDir);
  const exact = all.find((r) => r.runId === id);
  if (exact) return exact;
  const byJob = all.filter((r) => String(r.details.jobId) === id);
  if (byJob.length === 1) return byJob[0];
  const hits = all.filter((r) => r.runId.startsWith(id));
  if (hits.length > 1) {
    throw UserError.of(`"${id}" matches ${hits.length} runs`, { hint: `be more specific: ${hits.slice(0, 3).map((r) => r.runId).join(", ")}` });
  }
  return hits[0] ?? byJob[0];
}

/** A record updated with what the server says now: state, timings, reason. */
export function observe(record: RunRecord, job: Aves2Job): RunRecord {
  const state = stateOf(job.status);
  const now = new Date().toISOString();
  const ended = TERMINAL_STATES.includes(state);
  const reason =
    state === "failed" ? (job.msg ? String(job.msg) : "the AVES2 job ended with FAILURE") : state === "canceled" ? (record.reason ?? (job.msg ? String(job.msg) : "canceled")) : undefined;
  const { reason: _r, ...rest } = record;
  return {
    ...rest,
    state,
    ...(state !== "pending" ? { startedAt: record.startedAt ?? now } : {}),
    ...(ended ? { endedAt: record.endedAt ?? now } : {}),
    ...(reason ? { reason } : {}),
    details: { ...record.details, status: job.status },
  };
}

export function withEvent(record: RunRecord, event: RunEvent): RunRecord {
  const metrics = addEvent(record.metrics, event);
  return metrics ? { ...record, metrics } : record;
}

/** A job this machine did not submit (or whose record is gone): what the server says of it. */
export function serverOnlyRecord(job: Aves2Job, host: string): RunRecord {
  const runId = String(job.id);
  const name = String(job.job_name ?? job.name ?? `job ${runId}`);
  const record = foreignRecord({
    runId,
    backend: "aves2",
    name,
    component: { name, version: "" },
    createdAt: typeof job.create_time === "string" ? job.create_time : "",
    workers: 0,
    state: "pending",
    details: { jobId: job.id, host, namespace: job.namespace, status: job.status, replicas: ["worker-0"], serverOnly: true },
  });
  return observe(record, job);
}
