import type { Launcher } from "../launcher.js";
import type { RunEvent } from "../run/events.js";
import type { RunRequest } from "../run/request.js";
import type { RunSpec, SpecJSON } from "../run/spec.js";
import type { Transfer, TransferProgress } from "../storage/store.js";

export type RunState = "pending" | "running" | "succeeded" | "failed" | "canceled";
export const TERMINAL_STATES: readonly RunState[] = ["succeeded", "failed", "canceled"];

/** A backend's plan: a printable value saying what submit would do. */
export interface Plan {
  readonly backend: string;
  readonly runId: string;
  readonly spec: SpecJSON;
}

export interface RunMetrics {
  /** One entry per epoch, as the process reported them. */
  readonly epochs: readonly Record<string, unknown>[];
  readonly summary?: Record<string, unknown>;
}

/** What `runs` and `status` show, and what run.json holds. Never credentials. */
export interface RunRecord {
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

export interface LogLine {
  /** The replica that printed it, e.g. `worker-0`. */
  readonly replica: string;
  readonly stream: "stdout" | "stderr";
  readonly text: string;
}

export interface SubmitOptions {
  readonly onEvent?: (event: RunEvent, replica: string) => void;
  readonly onLog?: (line: LogLine) => void;
  /** Return at once with the run id; the run goes on without this process. */
  readonly detach?: boolean;
  /** The component's hooks: its preflight looks at the inputs before anything starts. */
  readonly launcher?: Launcher;
  /** Stage-in and stage-out as they go (files, bytes). */
  readonly onTransfer?: TransferProgress;
}

export interface RunHandle {
  readonly runId: string;
  /** Resolves with the final record (at once, with the submitted record, when detached). */
  wait(): Promise<RunRecord>;
  cancel(): Promise<void>;
}

/** One interface, one folder per backend (TorchX's scheduler model). */
export interface Backend<P extends Plan = Plan> {
  readonly name: string;
  /**
   * The I/O a plan depends on (kubeconfig, cluster API discovery), done after
   * resolve and before the pure plan(). `offline` (render): contact no server.
   */
  prepare?(spec: RunSpec, request: RunRequest, opts: { readonly offline: boolean }): Promise<void>;
  /** Pure: no I/O. The same spec gives the same plan. */
  plan(spec: RunSpec): P;
  submit(plan: P, spec: RunSpec, opts?: SubmitOptions): Promise<RunHandle>;
  status(runId: string): Promise<RunRecord>;
  logs(runId: string, opts: { follow: boolean; onLog: (line: LogLine) => void; signal?: AbortSignal }): Promise<void>;
  cancel(runId: string): Promise<RunRecord>;
  list(): Promise<RunRecord[]>;
  /** Removes an ended run (and, on a server, its job); returns what was removed. */
  delete?(runId: string): Promise<RunRecord>;
  /** Starts the same run again where the backend can (AVES2's start_job). */
  rerun?(runId: string): Promise<RunRecord>;
}
