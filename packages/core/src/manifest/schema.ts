import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { pointerToPath } from "../key-path.js";
import { AJV_OPTIONS } from "./ajv-options.js";

/** The shipped JSON Schema file, usable by editors via `# yaml-language-server: $schema=`. */
export const MANIFEST_SCHEMA_PATH = fileURLToPath(new URL("../../schema/component.schema.json", import.meta.url));

let validator: ValidateFunction | undefined;

const require = createRequire(import.meta.url);

/**
 * The build compiles the schema into validate-manifest.cjs (scripts/build-validator.mjs);
 * running from source (tests), ajv compiles it here, once, on first use.
 */
export function manifestValidator(): ValidateFunction {
  if (!validator) {
    try {
      validator = require("./validate-manifest.cjs") as ValidateFunction;
    } catch {
      const { Ajv } = require("ajv") as typeof import("ajv");
      validator = new Ajv(AJV_OPTIONS).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, "utf8")));
    }
  }
  return validator;
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
