import type { ParamDef, ParamValue } from "../manifest/types.js";

export type Coerced = { ok: true; value: ParamValue } | { ok: false; message: string };

const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0"]);

/** How a nullable param's "unset" may be written: YAML's null, Python's None, and their lowercase forms. */
const NONE_SPELLINGS = new Set(["None", "none", "null"]);
/** What the process gets: the upstream AVES2 scripts parse `--max_depth None` themselves. */
export const NONE = "None";

/** Whether `raw` is a nullable param's "unset" (null, "None", "none", "null"). */
export function isNone(raw: unknown): boolean {
  return raw === null || (typeof raw === "string" && NONE_SPELLINGS.has(raw.trim()));
}

/**
 * Turns a raw value (a `--set` string, or a YAML scalar from a params file) into
 * the param's declared type, and checks enum values and min/max bounds.
 */
export function coerceParam(def: ParamDef, raw: unknown): Coerced {
  if (def.nullable && isNone(raw)) return { ok: true, value: NONE };
  const typed = toType(def, raw);
  if (!typed.ok) return typed;
  const v = typed.value;
  if (typeof v === "number") {
    if (def.min !== undefined && v < def.min) return { ok: false, message: `${v} is below the minimum ${def.min}` };
    if (def.max !== undefined && v > def.max) return { ok: false, message: `${v} is above the maximum ${def.max}` };
  }
  return typed;
}

function toType(def: ParamDef, raw: unknown): Coerced {
  const shown = JSON.stringify(raw);
  if (raw === null || raw === undefined || typeof raw === "object") {
    return { ok: false, message: `${shown ?? "nothing"} is not a ${def.type}` };
  }
  const s = String(raw).trim();
  switch (def.type) {
    case "string":
      return { ok: true, value: String(raw) };
    case "integer": {
      if (typeof raw === "number" ? Number.isInteger(raw) : /^[-+]?\d+$/.test(s)) {
        const n = Number(s);
        if (Number.isSafeInteger(n)) return { ok: true, value: n };
      }
      return { ok: false, message: `${shown} is not an integer` };
    }
    case "number": {
      const n = typeof raw === "number" ? raw : s === "" ? Number.NaN : Number(s);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `${shown} is not a number` };
    }
    case "boolean": {
      if (typeof raw === "boolean") return { ok: true, value: raw };
      const l = s.toLowerCase();
      if (TRUE.has(l)) return { ok: true, value: true };
      if (FALSE.has(l)) return { ok: true, value: false };
      return { ok: false, message: `${shown} is not a boolean (true/false)` };
    }
    case "enum": {
      const hit = (def.values ?? []).find((v) => String(v) === s);
      if (hit !== undefined) return { ok: true, value: hit };
      return { ok: false, message: `${shown} is not one of ${(def.values ?? []).join(", ")}` };
    }
  }
}
