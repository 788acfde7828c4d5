import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Config } from "@aves2/core";

export interface Context {
  /** The catalog root (the monorepo). */
  readonly root: string;
  /** Where relative paths given on the command line are resolved. */
  readonly cwd: string;
  readonly config: Config;
  /** Shared Python packages copied beside component code. */
  readonly libs: readonly string[];
  /** `--aves2-host` of the verbs that talk to an AVES2 server. */
  readonly aves2?: { readonly host?: string };
}

export async function context(flags: { python?: string; aves2Host?: string } = {}): Promise<Context> {
  const { findProjectRoot, loadConfig } = await import("@aves2/core/catalog");
  const cwd = process.cwd();
  const root = findProjectRoot(cwd);
  const runtime = dirname(createRequire(import.meta.url).resolve("@aves2/python-runtime/package.json"));
  return {
    root,
    cwd,
    config: loadConfig(root, flags.python ? { python: flags.python } : {}),
    libs: [join(runtime, "aves2_runtime")],
    ...(flags.aves2Host ? { aves2: { host: flags.aves2Host } } : {}),
  };
}
