import type { Config } from "../config/config.js";
import { UserError } from "../errors.js";
import { closest } from "../catalog/suggest.js";
import { Aves2Backend } from "./aves2/index.js";
import { type Aves2Overrides, loadAves2Settings } from "./aves2/settings.js";
import type { Backend } from "./backend.js";
import { KubernetesBackend } from "./kubernetes/index.js";
import { LocalBackend } from "./local/index.js";
import { s3Settings } from "../config/s3-config.js";

export const BACKENDS = ["local", "aves2", "kubernetes"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What a backend is made from: the config, plus what only some backends read. */
export interface BackendContext {
  readonly config: Config;
  /** Shared Python packages (aves2_runtime) that components import; copied beside the code of every local run. */
  readonly libs: readonly string[];
  /** Flags that override the AVES2 client's config (`--aves2-host`). */
  readonly aves2?: Aves2Overrides;
  readonly env?: NodeJS.ProcessEnv;
  /** Which cluster and namespace `runs --backend kubernetes` lists. */
  readonly kubernetes?: { readonly context?: string; readonly namespace?: string };
  /** Plan without contacting any server (render). */
  readonly offline?: boolean;
}

/**
 * A backend by name. The AVES2 backend reads the AVES2 client's config
 * (~/.aves2/aves2.cfg, env, flags) here, so that its plan() stays pure.
 */
export function createBackend(name: string, ctx: BackendContext): Backend {
  const { config, libs } = ctx;
  switch (name) {
    case "local":
      return new LocalBackend({ runsDir: config.runsDir.value, libs, ...(config.python ? { python: config.python } : {}), ...(config.s3 ? { s3: s3Settings(config.s3) } : {}) });
    case "aves2": {
      const env = ctx.env ?? process.env;
      const poll = Number(env.AVES2_POLL_INTERVAL_MS);
      return new Aves2Backend({
        runsDir: config.runsDir.value,
        settings: loadAves2Settings(ctx.aves2 ?? {}, env),
        ...(poll > 0 ? { pollMs: poll } : {}),
      });
    }
    case "kubernetes":
    case "k8s": {
      const env = ctx.env ?? process.env;
      const poll = Number(env.AVES2_POLL_INTERVAL_MS);
      return new KubernetesBackend({
        runsDir: config.runsDir.value,
        libs,
        s3: s3Settings(config.s3),
        env,
        ...(ctx.kubernetes?.context ? { context: ctx.kubernetes.context } : {}),
        ...(ctx.kubernetes?.namespace ? { namespace: ctx.kubernetes.namespace } : {}),
        ...(poll > 0 ? { pollMs: poll } : {}),
      });
    }
    default: {
      const near = closest(name, [...BACKENDS, "k8s"]);
      throw UserError.of(`unknown backend "${name}"`, {
        path: "--backend",
        hint: `available: ${BACKENDS.join(", ")} (k8s = kubernetes)${near.length ? `; did you mean "${near[0]}"?` : ""}`,
      });
    }
  }
}
