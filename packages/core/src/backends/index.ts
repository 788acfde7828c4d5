import type { Config } from "../config/config.js";
import { UserError } from "../errors.js";
import { closest } from "../catalog/suggest.js";
import { LocalBackend } from "./local/index.js";

export const BACKENDS = ["local"] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * `libs`: shared Python packages (aves2_runtime) that components import; they
 * are copied beside the code of every run.
 */
export function createBackend(name: string, config: Config, libs: readonly string[]): LocalBackend {
  switch (name) {
    case "local":
      return new LocalBackend({ runsDir: config.runsDir.value, libs, ...(config.python ? { python: config.python } : {}) });
    default: {
      const near = closest(name, [...BACKENDS, "kubernetes", "aves2"]);
      throw UserError.of(`unknown backend "${name}"`, {
        path: "--backend",
        hint: ["kubernetes", "k8s", "aves2"].includes(name)
          ? `the ${name} backend is not built yet; available: ${BACKENDS.join(", ")}`
          : `available: ${BACKENDS.join(", ")}${near.length ? ` (did you mean "${near[0]}"?)` : ""}`,
      });
    }
  }
}
