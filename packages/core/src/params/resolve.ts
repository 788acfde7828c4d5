import { didYouMean } from "../catalog/suggest.js";
import { type Problem, UserError } from "../errors.js";
import type { ParamDef, ParamValue } from "../manifest/types.js";
import { coerceParam } from "./coerce.js";

/** One source of param values; later layers win. `source` names it in errors (`--set`, `params.yaml`). */
export interface ParamLayer {
  readonly source: string;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface ResolvedParam {
  readonly name: string;
  readonly value: ParamValue;
  /** Which layer the value came from: `default`, a params file, `--set`. */
  readonly from: string;
}

/**
 * defaults ⊕ layers (later wins), coerced to the declared types and checked.
 * Result keeps the manifest's order, which is the order of the argv.
 * All problems are reported together.
 */
export function resolveParams(defs: readonly ParamDef[], layers: readonly ParamLayer[]): ResolvedParam[] {
  const problems: Problem[] = [];
  const byName = new Map(defs.map((d) => [d.name, d]));
  const chosen = new Map<string, { raw: unknown; from: string }>();
  for (const d of defs) if (d.default !== undefined) chosen.set(d.name, { raw: d.default, from: "default" });

  for (const layer of layers) {
    for (const [name, raw] of Object.entries(layer.values)) {
      if (!byName.has(name)) {
        const hint = didYouMean(name, [...byName.keys()]);
        problems.push({ path: layer.source, message: `unknown param "${name}"`, hint: hint ?? (byName.size ? `params are: ${[...byName.keys()].join(", ")}` : "this component has no params") });
        continue;
      }
      chosen.set(name, { raw, from: layer.source });
    }
  }

  const out: ResolvedParam[] = [];
  for (const def of defs) {
    const c = chosen.get(def.name);
    if (!c) {
      if (def.required) problems.push({ path: def.name, message: "is required and has no default", hint: `set it with --set ${def.name}=...` });
      continue;
    }
    const r = coerceParam(def, c.raw);
    if (r.ok) out.push({ name: def.name, value: r.value, from: c.from });
    else problems.push({ path: c.from === "default" ? `default of ${def.name}` : `${c.from} ${def.name}`, message: r.message });
  }
  if (problems.length > 0) throw new UserError(problems);
  return out;
}

/** `k=v` strings from `--set` → a layer. The value may itself contain `=`. */
export function parseAssignments(pairs: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      problems.push({ path: flag, message: `"${pair}" is not name=value`, hint: `e.g. ${flag} epochs=3` });
      continue;
    }
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  if (problems.length > 0) throw new UserError(problems);
  return out;
}
