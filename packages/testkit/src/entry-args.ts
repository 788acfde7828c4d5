import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./cli.js";

/**
 * A manifest's params in the shape an entry's `--aves2-describe-args` prints
 * them (aves2_runtime's Arg table), so a component's test can hold its
 * manifest and its Python entry to the same list.
 */
export interface DescribableParam {
  readonly name: string;
  readonly type: string;
  readonly default?: unknown;
  readonly values?: readonly unknown[];
  readonly min?: number;
  readonly max?: number;
}

export const asDescribed = (p: DescribableParam) => ({
  name: p.name,
  type: p.type,
  default: p.default ?? null,
  ...(p.values ? { values: [...p.values] } : {}),
  ...(p.min !== undefined ? { min: p.min } : {}),
  ...(p.max !== undefined ? { max: p.max } : {}),
});

export const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.name).localeCompare(String(b.name));

/**
 * The params a component's Python entry declares (`--aves2-describe-args`),
 * descriptions left out: what its manifest must declare the same way.
 */
export function describedArgs(python: string, component: { readonly command: readonly string[]; readonly sourceDir: string }): Record<string, unknown>[] {
  const r = spawnSync(python, [component.command[1]!, "--aves2-describe-args"], { cwd: component.sourceDir, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as Record<string, unknown>[]).map(({ description: _d, ...rest }) => rest);
}
