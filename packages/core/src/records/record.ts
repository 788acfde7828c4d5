import type { Plan } from "../backends/backend.js";
import type { RunMetrics } from "../run/metrics.js";
import type { SpecJSON } from "../run/spec.js";
import type { Transfer } from "@aves2/storage";

export type RunState = "pending" | "running" | "succeeded" | "failed" | "canceled";
export const TERMINAL_STATES: readonly RunState[] = ["succeeded", "failed", "canceled"];

export const isTerminal = (s: RunState): boolean => TERMINAL_STATES.includes(s);

/**
 * The version of the record format. Records written before it had a version
 * (the same fields, without `schemaVersion`) are read as version 1.
 */
export const RECORD_VERSION = 1;

/**
 * One run, whatever its backend: what `runs` and `status` show, and what
 * run.json holds. Never credentials.
 */
export interface RunRecord {
  readonly schemaVersion: typeof RECORD_VERSION;
  readonly runId: string;
  readonly backend: string;
  readonly component: { readonly name: string; readonly version: string };
  readonly state: RunState;
  /** Why it failed or was canceled, in words a user can act on. */
  readonly reason?: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly exitCode?: number | null;
  readonly metrics: RunMetrics;
  readonly transfers: readonly Transfer[];
  readonly spec: SpecJSON;
  readonly plan: Plan;
  /** Backend-specific facts (pids, interpreter, object names). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** The record of a run just submitted: nothing observed yet. */
export function newRunRecord(plan: Plan, details: RunRecord["details"], state: RunState = "pending"): RunRecord {
  return {
    schemaVersion: RECORD_VERSION,
    runId: plan.runId,
    backend: plan.backend,
    component: { name: plan.spec.component.name, version: plan.spec.component.version },
    state,
    createdAt: plan.spec.createdAt,
    metrics: { epochs: [] },
    transfers: [],
    spec: plan.spec,
    plan,
    details,
  };
}

/** What a server says of a run that was not submitted from here (or whose record is gone). */
export interface ForeignRun {
  readonly runId: string;
  readonly backend: string;
  /** The run's name (else its id). */
  readonly name: string;
  readonly component: { readonly name: string; readonly version: string };
  readonly createdAt: string;
  /** How many workers the server reports (0 when it does not say). */
  readonly workers: number;
  readonly state: RunState;
  readonly reason?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly details: RunRecord["details"];
}

/** The record of a run found on a server with none here: a spec of its names and times only, no plan. */
export function foreignRecord(f: ForeignRun): RunRecord {
  const spec: SpecJSON = {
    runId: f.runId,
    name: f.name,
    component: { name: f.component.name, version: f.component.version, dir: "" },
    params: {},
    inputs: {},
    outputs: {},
    code: "",
    resources: { worker: { count: f.workers, cpu: 0, mem: 0, gpu: 0 } },
    distribute: "none",
    createdAt: f.createdAt,
  };
  return {
    schemaVersion: RECORD_VERSION,
    runId: f.runId,
    backend: f.backend,
    component: { name: f.component.name, version: f.component.version },
    state: f.state,
    ...(f.reason ? { reason: f.reason } : {}),
    createdAt: f.createdAt,
    ...(f.startedAt ? { startedAt: f.startedAt } : {}),
    ...(f.endedAt ? { endedAt: f.endedAt } : {}),
    metrics: { epochs: [] },
    transfers: [],
    spec,
    plan: { backend: f.backend, runId: f.runId, spec },
    details: f.details,
  };
}

/** A record as read from disk, in the current format (older records lack only the version). */
export function upgradeRecord(raw: Record<string, unknown>): RunRecord {
  if (raw.schemaVersion === RECORD_VERSION) return raw as unknown as RunRecord;
  const { schemaVersion: _v, ...rest } = raw;
  return { schemaVersion: RECORD_VERSION, ...rest } as unknown as RunRecord;
}
