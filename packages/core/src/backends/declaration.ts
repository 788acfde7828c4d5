import type { Config } from "../config/config.js";
import type { Backend } from "./backend.js";
import type { BackendOption } from "./options.js";

/** What a backend is made from: the config, plus what only some backends read. */
export interface BackendContext {
  readonly config: Config;
  /** Shared Python packages (aves2_runtime) that components import; copied beside the code of every local run. */
  readonly libs: readonly string[];
  /** Flags that override the AVES2 client's config (`--aves2-host`). */
  readonly aves2?: { readonly host?: string };
  readonly env?: NodeJS.ProcessEnv;
  /** Which cluster and namespace `runs --backend kubernetes` lists. */
  readonly kubernetes?: { readonly context?: string; readonly namespace?: string };
  /** Plan without contacting any server (render). */
  readonly offline?: boolean;
}

export type BackendFactory = (ctx: BackendContext) => Backend;

/**
 * A backend as the registry knows it, before its code is loaded: its name,
 * what it is, and the options it takes. The CLI builds its flags, their help
 * and `component backends` from this alone.
 */
export interface BackendDeclaration {
  readonly name: string;
  /** Other names `--backend` takes (`k8s`). */
  readonly aliases?: readonly string[];
  /** How messages and help name it: `Kubernetes`. */
  readonly title: string;
  /** One line: where it runs things. */
  readonly summary: string;
  /**
   * Its runs cannot read this machine's folders: inputs and code must be in
   * storage, and a published component runs from its published code.
   */
  readonly remote: boolean;
  readonly options: readonly BackendOption[];
  /** The backend's code, loaded when the engine is (a backend in a test may give `create` instead). */
  readonly load?: () => Promise<{ readonly create: BackendFactory }>;
  /** Starts ahead what a submit will need (local: its supervisor process), so that it loads while the CLI plans. */
  readonly warm?: () => void;
  readonly create?: BackendFactory;
}
