import type { DistributeType, RoleResources } from "../manifest/types.js";
import type { ParamLayer } from "../params/resolve.js";
import type { OptionValues } from "../backends/options.js";
import type { EnvVar, JobSettings } from "./spec.js";

/** What a user asked for, before it is checked against the component. */
export interface RunRequest {
  /** `name` or `name@version`. */
  readonly component: string;
  /** Param sources in order of precedence, lowest first (params file, then --set). */
  readonly params: readonly ParamLayer[];
  /** input name → path or URI */
  readonly inputs: Readonly<Record<string, string>>;
  /**
   * input name → where its URI came from when it was not given as it is:
   * `run:<run-id>/<output>` for another run's output (see run-refs.ts).
   */
  readonly inputSources?: Readonly<Record<string, string>>;
  /** output name → path or URI */
  readonly outputs: Readonly<Record<string, string>>;
  /** Replaces the component's bundled source (a directory, or an archive). */
  readonly code?: string;
  readonly resources?: { readonly worker?: Partial<RoleResources>; readonly ps?: Partial<RoleResources> };
  readonly distribute?: DistributeType;
  /** Shorthand for resources.worker.count. */
  readonly workers?: number;
  readonly backend: string;
  /** A human name for the run; defaults to the component's title. */
  readonly name?: string;
  /** The container image, for backends that run images (default: the component's, by GPU count). */
  readonly image?: string;
  /** Environment variables for the process, in order. */
  readonly env?: readonly EnvVar[];
  /** Cluster namespace (AVES2, Kubernetes); unset = the backend's default. */
  readonly namespace?: string;
  /** Where the backend saves the run's logs (AVES2 `log_dir`). */
  readonly logDir?: string;
  /** AVES2 job fields with no meaning elsewhere, carried so a job file round-trips. */
  readonly aves2?: JobSettings;
  /**
   * Bind only the inputs given, ignoring manifest defaults: an AVES2 job file
   * lists every input it uses, and an absent one means "not bound".
   */
  readonly explicitInputs?: boolean;
  /** The options the backend declares (Kubernetes: context, engine, storage Secret, timeout, ...), by key. */
  readonly options?: OptionValues;
  /** Relative paths in the request are relative to this directory. */
  readonly cwd: string;
}
