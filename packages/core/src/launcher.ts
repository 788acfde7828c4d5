import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Problem, UserError } from "./errors.js";
import type { Component } from "./manifest/types.js";
import type { RunSpec } from "./run/spec.js";

/**
 * A component's own TS hooks, for rules a schema cannot state. Core calls
 * them; a launcher never submits anything itself.
 */
export interface Launcher {
  /** Cross-field checks on the resolved spec. Must be pure: it runs while planning. */
  check?(spec: RunSpec): readonly Problem[] | undefined;
  /**
   * Looks at the staged inputs before the process starts (may read files).
   * `inputDir(name)` is the local folder of an input, or undefined when unbound.
   */
  preflight?(ctx: PreflightContext): Promise<readonly Problem[] | undefined>;
}

export interface PreflightContext {
  readonly spec: RunSpec;
  inputDir(name: string): string | undefined;
}

export async function loadLauncher(component: Component): Promise<Launcher> {
  if (!component.launcherPath) {
    // an unbuilt launcher would silently skip its checks
    if (existsSync(join(component.dir, "launcher.ts"))) {
      throw UserError.of(`${component.name} has a launcher.ts that is not built`, { path: join(component.dir, "dist", "launcher.js"), hint: "run `pnpm build` (or `pnpm install`)" });
    }
    return {};
  }
  const mod = (await import(pathToFileURL(component.launcherPath).href)) as { default?: Launcher } & Launcher;
  return mod.default ?? mod;
}
