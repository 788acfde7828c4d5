import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

/** The shipped JSON Schema file, usable by editors via `# yaml-language-server: $schema=`. */
export const MANIFEST_SCHEMA_PATH = fileURLToPath(new URL("../../schema/component.schema.json", import.meta.url));

let validator: ValidateFunction | undefined;

/** Compiled once, on first use: CLI commands that never validate never pay for ajv. */
export function manifestValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, "utf8"));
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    validator = ajv.compile(schema);
  }
  return validator;
}

/** `/params/2/min` → `["params", 2, "min"]` */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `["params", 2, "min"]` → `params[2].min` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** One readable sentence per ajv error; drops the noise of if/then wrappers. */
export function describeAjvError(e: ErrorObject): { path: (string | number)[]; message: string } | undefined {
  const path = pointerToPath(e.instancePath);
  switch (e.keyword) {
    case "if":
      return undefined;
    case "required":
      return { path, message: `missing required key "${e.params.missingProperty}"` };
    case "additionalProperties":
      return { path: [...path, e.params.additionalProperty], message: `unknown key "${e.params.additionalProperty}"` };
    case "enum":
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "pattern":
      return { path, message: `does not match the pattern ${e.params.pattern}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}
