import type { Launcher } from "../launcher.js";
import { toYaml } from "../manifest/yaml-source.js";
import type { RunEvent } from "../run/events.js";
import type { RunRecord } from "../records/record.js";
import type { RunSpec, SpecJSON } from "../run/spec.js";
import type { TransferProgress } from "@aves2/storage";
import type { OptionValues } from "./options.js";

/** A backend's plan: a printable value saying what submit would do. */
export interface Plan {
  readonly backend: string;
  readonly runId: string;
  readonly spec: SpecJSON;
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

/** What `render` prints of a plan, and what `run` shows while it goes. */
export interface PlanDescription {
  /** The replicas (`worker-0`, ...): logs are prefixed, and progress kept, per replica when there are several. */
  readonly replicas: readonly string[];
  /** `render`: the plan as its backend writes it (YAML, a job file, manifests), checked as submit would check it. */
  text(): Promise<string>;
  /** `render --json`: the plan as JSON, checked the same way. */
  json(): Promise<unknown>;
}

/** A finished run, as `run` ends and `status` shows it, whatever its backend. */
export interface RunSummary {
  /** Where each output is now: a URI, or a folder on this machine. */
  readonly outputs: readonly { readonly name: string; readonly location: string }[];
  /** Where the run is recorded and how to read its logs (the last lines `run` prints). */
  readonly notes: readonly string[];
  /** The run on its backend in one line (`status`): a Kubernetes object, an AVES2 job. */
  readonly placement?: string;
}

/**
 * One interface, one folder per backend (TorchX's scheduler model). The flow
 * is prepare → plan → submit: `prepare` does the I/O a plan depends on and
 * returns it as a value (the target); `plan` is a pure function of the spec,
 * the target and the backend's declared options.
 */
export interface Backend<P extends Plan = Plan, T = unknown> {
  readonly name: string;
  /**
   * The I/O a plan depends on (kubeconfig, cluster API discovery), done after
   * resolve: where the run goes, as a value. `offline` (render): contact no server.
   */
  prepare(spec: RunSpec, options: OptionValues, ctx: { readonly offline: boolean }): Promise<T>;
  /** Pure: no I/O. The same spec, target and options give the same plan. */
  plan(spec: RunSpec, target: T, options: OptionValues): P;
  /** What render prints of the plan. */
  describe(plan: P): PlanDescription;
  /** The finished run in the common terms of a summary (default: its spec's outputs). */
  summarize?(record: RunRecord): RunSummary;
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

/** A plan printed as YAML, for backends with no format of their own. */
export function yamlDescription(plan: Plan, replicas: readonly string[]): PlanDescription {
  return {
    replicas,
    text: async () => toYaml(plan, { lineWidth: 120, noRefs: true }),
    json: async () => plan,
  };
}

/** The summary of a finished run: its backend's, else the outputs its spec names. */
export function runSummary(backend: Backend, record: RunRecord): RunSummary {
  return backend.summarize?.(record) ?? { outputs: Object.entries(record.spec.outputs).map(([name, location]) => ({ name, location })), notes: [] };
}
