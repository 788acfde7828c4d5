/** The parsed, validated form of a component.yaml (see schema/component.schema.json). */

export type ParamType = "integer" | "number" | "string" | "boolean" | "enum";
export type ParamValue = string | number | boolean;
export type DistributeType = "none" | "PYTORCH_DDP" | "TF_PS" | "HOROVOD";
export type Role = "worker" | "ps";
export type Framework = "pytorch" | "tensorflow" | "sklearn" | "xgboost" | "generic";

export const DISTRIBUTE_TYPES: readonly DistributeType[] = ["none", "PYTORCH_DDP", "TF_PS", "HOROVOD"];
/** The schema's `framework` enum, for filters and their "did you mean". */
export const FRAMEWORKS: readonly Framework[] = ["pytorch", "tensorflow", "sklearn", "xgboost", "generic"];

export interface ParamDef {
  readonly name: string;
  readonly type: ParamType;
  readonly description?: string;
  readonly default?: ParamValue;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly (string | number)[];
  /**
   * The param may be given as None (null, "None", "none", "null"): the value is
   * then the string "None", passed on as `--<name> None`, the upstream AVES2
   * components' spelling of "unset". For a nullable string or enum param
   * those spellings mean None too, never the text "none".
   */
  readonly nullable?: boolean;
}

export interface InputDef {
  readonly name: string;
  readonly description?: string;
  readonly required?: boolean;
  /** A URI, or an absolute path (relative defaults are made absolute at load). */
  readonly default?: string;
}

export interface OutputDef {
  readonly name: string;
  readonly description?: string;
}

export interface RoleResources {
  readonly count: number;
  readonly cpu: number;
  /** GiB */
  readonly mem: number;
  readonly gpu: number;
}

export type Resources = { readonly worker: RoleResources; readonly ps?: RoleResources };

export interface PythonRuntime {
  readonly modules: readonly string[];
  /** module → how to install it, shown when it is missing */
  readonly packages: Readonly<Record<string, string>>;
}

/**
 * What the component's default sample run must reach; a catalog-wide
 * conformance test runs every component's sample and checks it.
 */
export interface SampleCheck {
  /** A key of the run's summary metrics. */
  readonly metric: string;
  /** At least one of min and max is set. */
  readonly min?: number;
  readonly max?: number;
  /** Param overrides for the sample run (e.g. fewer epochs), coerced to the params' types. */
  readonly set?: Readonly<Record<string, ParamValue>>;
  /** input name → `<component>/<output>`: the input is bound to that component's sample-run output. */
  readonly uses?: Readonly<Record<string, string>>;
}

export interface Component {
  readonly name: string;
  /** From the package.json beside component.yaml. */
  readonly version: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly framework: Framework;
  /**
   * The folder of the upstream AVES2 component this one replaces, relative to
   * the src/ of jd-aig/aves2_algorithm_components (e.g. ml/classification/randomForest).
   */
  readonly upstream?: string;
  readonly images: { readonly cpu?: string; readonly gpu?: string };
  readonly command: readonly string[];
  /** Absolute path of the component's folder. */
  readonly dir: string;
  readonly manifestPath: string;
  /** Absolute path of the code folder. */
  readonly sourceDir: string;
  readonly params: readonly ParamDef[];
  readonly inputs: readonly InputDef[];
  readonly outputs: readonly OutputDef[];
  readonly resources: Resources;
  readonly distribute: readonly DistributeType[];
  readonly runtime: { readonly python?: PythonRuntime };
  readonly sample?: SampleCheck;
  /** Absolute path of the built TS launcher module, when the component has one. */
  readonly launcherPath?: string;
  /**
   * For a published version resolved from a registry or an S3 catalog: its code
   * folder in object storage. Jobs on a cluster or AVES2 use it as their
   * source_code instead of files on this machine.
   */
  readonly publishedCode?: string;
  /** Made from an AVES2 job file's command, not from a manifest: no defaults, no bundled code. */
  readonly adHoc?: boolean;
}
