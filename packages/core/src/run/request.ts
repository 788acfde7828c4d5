import type { DistributeType, RoleResources } from "../manifest/types.js";
import type { ParamLayer } from "../params/resolve.js";

/** What a user asked for, before it is checked against the component. */
export interface RunRequest {
  /** `name` or `name@version`. */
  readonly component: string;
  /** Param sources in order of precedence, lowest first (params file, then --set). */
  readonly params: readonly ParamLayer[];
  /** input name → path or URI */
  readonly inputs: Readonly<Record<string, string>>;
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
  /** Relative paths in the request are relative to this directory. */
  readonly cwd: string;
}
