import { coerceParam } from "../params/coerce.js";
import type { InputDef, ParamDef, ParamValue, SampleCheck } from "./types.js";

/** `sample` as the schema admits it, before the checks that need the params and inputs. */
export type RawSample = Omit<SampleCheck, "set"> & { readonly set?: Readonly<Record<string, unknown>> };

type At = (path: (string | number)[], message: string, hint?: string) => void;

/**
 * The rules of `sample` that need the rest of the manifest: a bound to check,
 * `set` keys that are params with valid values, `uses` keys that are inputs.
 * Returns the sample with `set` coerced to the params' types. Whether a `uses`
 * ref names a real component and output is the catalog's check (checkCatalog).
 */
export function checkSample(raw: RawSample, params: readonly ParamDef[], inputs: readonly InputDef[], at: At): SampleCheck {
  if (raw.min === undefined && raw.max === undefined) at(["sample"], `has no min or max to check ${raw.metric} against`, "add min, max or both");
  if (raw.min !== undefined && raw.max !== undefined && raw.min > raw.max) at(["sample", "min"], `min ${raw.min} is above max ${raw.max}`);

  const byName = new Map(params.map((p) => [p.name, p]));
  const set: Record<string, ParamValue> = {};
  for (const [name, value] of Object.entries(raw.set ?? {})) {
    const def = byName.get(name);
    if (!def) {
      at(["sample", "set", name], `"${name}" is not a param`, byName.size ? `params are: ${[...byName.keys()].join(", ")}` : "this component has no params");
      continue;
    }
    const r = coerceParam(def, value);
    if (r.ok) set[name] = r.value;
    else at(["sample", "set", name], r.message);
  }

  const inputNames = inputs.map((i) => i.name);
  for (const name of Object.keys(raw.uses ?? {})) {
    if (!inputNames.includes(name)) {
      at(["sample", "uses", name], `"${name}" is not an input`, inputNames.length ? `inputs are: ${inputNames.join(", ")}` : "this component has no inputs");
    }
  }

  return {
    metric: raw.metric,
    ...(raw.min !== undefined ? { min: raw.min } : {}),
    ...(raw.max !== undefined ? { max: raw.max } : {}),
    ...(raw.set ? { set } : {}),
    ...(raw.uses ? { uses: { ...raw.uses } } : {}),
  };
}

/** `random-forest-classifier/output_path` → its parts (the schema's pattern guarantees one '/'). */
export function parseSampleUse(ref: string): { component: string; output: string } {
  const slash = ref.indexOf("/");
  return { component: ref.slice(0, slash), output: ref.slice(slash + 1) };
}

/** The bound as people read it: `accuracy ≥ 0.9`, `rmse ≤ 5`, `0.2 ≤ silhouette ≤ 1`. */
export function describeBound(s: SampleCheck): string {
  if (s.min !== undefined && s.max !== undefined) return `${s.min} ≤ ${s.metric} ≤ ${s.max}`;
  if (s.min !== undefined) return `${s.metric} ≥ ${s.min}`;
  return `${s.metric} ≤ ${s.max}`;
}

/**
 * One line for `info` and the README's catalog table:
 * `accuracy ≥ 0.9, with model_dir from random-forest-classifier/output_path, --set epochs=1`.
 */
export function describeSample(s: SampleCheck): string {
  const parts = [describeBound(s)];
  const uses = Object.entries(s.uses ?? {}).map(([input, ref]) => `${input} from ${ref}`);
  if (uses.length) parts.push(`with ${uses.join(" and ")}`);
  const set = Object.entries(s.set ?? {}).map(([k, v]) => `${k}=${v}`);
  if (set.length) parts.push(`--set ${set.join(" ")}`);
  return parts.join(", ");
}
