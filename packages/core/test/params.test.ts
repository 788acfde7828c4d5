import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import type { ParamDef } from "../src/manifest/types.js";
import { coerceParam } from "../src/params/coerce.js";
import { parseAssignments, resolveParams } from "../src/params/resolve.js";
import { buildArgv } from "../src/run/argv.js";

const defs: ParamDef[] = [
  { name: "epochs", type: "integer", default: 5, min: 1, max: 100 },
  { name: "lr", type: "number", default: 0.01, min: 0 },
  { name: "model", type: "enum", values: ["small", "large"], default: "small" },
  { name: "shuffle", type: "boolean", default: true },
  { name: "tag", type: "string" },
  { name: "seed", type: "integer", required: true },
];

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.problems.map((p) => `${p.path}: ${p.message}${p.hint ? ` (${p.hint})` : ""}`);
    throw e;
  }
  return [];
}

describe("resolveParams", () => {
  it("defaults, then layers in order; keeps the manifest's order", () => {
    const r = resolveParams(defs, [
      { source: "p.yaml", values: { epochs: 7, lr: 0.1, seed: 1 } },
      { source: "--set", values: { epochs: "9", shuffle: "no", tag: "x y" } },
    ]);
    expect(r.map((p) => [p.name, p.value, p.from])).toEqual([
      ["epochs", 9, "--set"],
      ["lr", 0.1, "p.yaml"],
      ["model", "small", "default"],
      ["shuffle", false, "--set"],
      ["tag", "x y", "--set"],
      ["seed", 1, "p.yaml"],
    ]);
  });

  it("coerces strings to the declared type", () => {
    const r = resolveParams(defs, [{ source: "--set", values: { lr: "1e-3", seed: "+4", model: "large" } }]);
    expect(Object.fromEntries(r.map((p) => [p.name, p.value]))).toMatchObject({ lr: 0.001, seed: 4, model: "large" });
  });

  it("reports every problem at once, with hints", () => {
    expect(
      problems(() =>
        resolveParams(defs, [{ source: "--set", values: { epochs: "2.5", lr: "-1", model: "huge", shuffle: "maybe", epoch: "3" } }]),
      ),
    ).toEqual([
      '--set: unknown param "epoch" (did you mean "epochs"?)',
      '--set epochs: "2.5" is not an integer',
      "--set lr: -1 is below the minimum 0",
      '--set model: "huge" is not one of small, large',
      '--set shuffle: "maybe" is not a boolean (true/false)',
      "seed: is required and has no default (set it with --set seed=...)",
    ]);
  });

  it("rejects integers beyond the safe range and empty numbers", () => {
    expect(problems(() => resolveParams(defs, [{ source: "--set", values: { seed: "99999999999999999999", lr: "" } }]))).toEqual([
      '--set lr: "" is not a number',
      '--set seed: "99999999999999999999" is not an integer',
    ]);
  });
});

describe("nullable params (the upstream's --max_depth None)", () => {
  const maxDepth: ParamDef = { name: "max_depth", type: "integer", min: 1, nullable: true };

  it("accepts null and the None spellings, and yields the string None", () => {
    for (const raw of [null, "None", "none", "null", " None "]) expect(coerceParam(maxDepth, raw), JSON.stringify(raw)).toEqual({ ok: true, value: "None" });
    expect(coerceParam({ name: "kernel", type: "enum", values: ["rbf", "linear"], nullable: true }, "none")).toEqual({ ok: true, value: "None" });
    // a value is still checked as usual
    expect(coerceParam(maxDepth, "7")).toEqual({ ok: true, value: 7 });
    expect(coerceParam(maxDepth, "0")).toEqual({ ok: false, message: "0 is below the minimum 1" });
    expect(coerceParam(maxDepth, "NONE")).toEqual({ ok: false, message: '"NONE" is not an integer' });
  });

  it("refuses None for a param that is not nullable", () => {
    const depth: ParamDef = { name: "depth", type: "integer" };
    expect(coerceParam(depth, "None")).toEqual({ ok: false, message: '"None" is not an integer' });
    expect(coerceParam(depth, null)).toEqual({ ok: false, message: "null is not a integer" });
  });

  it("is passed as --name None when given, and not at all without a default", () => {
    const defs: ParamDef[] = [maxDepth, { name: "max_features", type: "number", nullable: true, default: "None" }];
    const unset = resolveParams(defs, []);
    expect(unset).toEqual([{ name: "max_features", value: "None", from: "default" }]);
    const given = resolveParams(defs, [{ source: "p.yaml", values: { max_depth: null } }, { source: "--set", values: { max_features: "0.5" } }]);
    expect(buildArgv(["python3", "run.py"], given, [], [])).toEqual(["python3", "run.py", "--max_depth", "None", "--max_features", "0.5"]);
  });
});

describe("parseAssignments", () => {
  it("splits at the first =", () => {
    expect(parseAssignments(["a=1", "b=x=y", "c="], "--set")).toEqual({ a: "1", b: "x=y", c: "" });
  });
  it("rejects pairs without a name", () => {
    expect(problems(() => parseAssignments(["=1", "noeq"], "--set"))).toHaveLength(2);
  });
});
