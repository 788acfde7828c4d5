import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { loadComponent } from "../src/manifest/load.js";
import { describeSample } from "../src/manifest/sample.js";

/** A component folder `name` with this manifest (lines joined) and an empty src/. */
function component(lines: string[], name = "forest"): string {
  const dir = join(tempDir("aves2-manifest-"), name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "component.yaml"), `${lines.join("\n")}\n`);
  return dir;
}

const HEAD = [
  "name: forest",
  "title: Random forest",
  "description: A forest.",
  "category: ml/classification",
  "framework: sklearn",
  "command: [python3, run.py]",
  "source: src",
  "params:",
  "  - {name: n_estimators, type: integer, min: 1, default: 100}",
  "  - {name: max_depth, type: integer, min: 1, nullable: true}",
  "inputs:",
  "  - {name: data_dir}",
  "  - {name: model_dir}",
  "outputs:",
  "  - {name: output_path}",
];

/** The problems loading throws, as `line: message (hint)`. */
function problemsOf(dir: string): string[] {
  try {
    loadComponent(dir);
  } catch (e) {
    if (e instanceof UserError) return e.problems.map((p) => `${p.line}: ${p.message}${p.hint ? ` (${p.hint})` : ""}`);
    throw e;
  }
  throw new Error("it loaded");
}

describe("upstream, sample and nullable in component.yaml", () => {
  it("exposes upstream and the sample, with set coerced to the params' types", () => {
    const c = loadComponent(
      component([
        ...HEAD,
        "upstream: ml/classification/randomForest",
        "sample:",
        "  metric: accuracy",
        "  min: 0.9",
        "  set: {n_estimators: '10', max_depth: null}",
        "  uses: {model_dir: other/output_path}",
      ]),
    );
    expect(c.upstream).toBe("ml/classification/randomForest");
    expect(c.sample).toEqual({ metric: "accuracy", min: 0.9, set: { n_estimators: 10, max_depth: "None" }, uses: { model_dir: "other/output_path" } });
    expect(c.params[1]).toMatchObject({ name: "max_depth", nullable: true });
    expect(describeSample(c.sample!)).toBe("accuracy ≥ 0.9, with model_dir from other/output_path, --set n_estimators=10 max_depth=None");
  });

  it("leaves both out when the manifest has neither", () => {
    const c = loadComponent(component(HEAD));
    expect(c.upstream).toBeUndefined();
    expect(c.sample).toBeUndefined();
    expect("upstream" in c || "sample" in c).toBe(false);
  });

  it("lets a nullable param default to None", () => {
    const c = loadComponent(component(HEAD.map((l) => (l.includes("max_depth") ? "  - {name: max_depth, type: integer, min: 1, nullable: true, default: None}" : l))));
    expect(c.params[1]!.default).toBe("None");
    expect(problemsOf(component(HEAD.map((l) => (l.includes("n_estimators") ? "  - {name: n_estimators, type: integer, default: None}" : l))))).toEqual([
      '9: params[0].default: "None" is not a integer',
    ]);
  });

  it("checks the sample against the params and inputs, each problem with its line", () => {
    const dir = component([
      ...HEAD,
      "sample:", // 16
      "  metric: accuracy",
      "  min: 0.9",
      "  max: 0.5", // 19
      "  set:",
      "    n_estimator: 10", // 21
      "    max_depth: 0", // 22
      "    n_estimators: many", // 23
      "  uses:",
      "    train_dir: other/output_path", // 25
    ]);
    expect(problemsOf(dir)).toEqual([
      "18: sample.min: min 0.9 is above max 0.5",
      '21: sample.set.n_estimator: "n_estimator" is not a param (params are: n_estimators, max_depth)',
      "22: sample.set.max_depth: 0 is below the minimum 1",
      '23: sample.set.n_estimators: "many" is not an integer',
      '25: sample.uses.train_dir: "train_dir" is not an input (inputs are: data_dir, model_dir)',
    ]);
  });

  it("needs a min or a max to check the metric against", () => {
    expect(problemsOf(component([...HEAD, "sample:", "  metric: accuracy"]))).toEqual(["16: sample: has no min or max to check accuracy against (add min, max or both)"]);
  });

  it("refuses malformed values through the schema, with their lines", () => {
    const dir = component([
      ...HEAD,
      "upstream: ml/classification/random forest", // 16
      "sample:",
      "  metric: accuracy",
      "  min: high", // 19
      "  uses: {model_dir: other}", // 20
      "  colour: blue", // 21
    ]);
    expect(problemsOf(dir)).toEqual([
      "16: upstream: does not match the pattern ^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
      '21: sample.colour: unknown key "colour"',
      "19: sample.min: must be number",
      "20: sample.uses.model_dir: does not match the pattern ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[A-Za-z_][A-Za-z0-9_-]*$",
    ]);
    expect(problemsOf(component([...HEAD, "upstream: ml/../randomForest"]))).toEqual([
      '16: upstream: "ml/../randomForest" has a . or .. segment (name the folder as it is under the upstream\'s src/, e.g. ml/classification/randomForest)',
    ]);
    expect(problemsOf(component(HEAD.map((l) => (l.includes("max_depth") ? "  - {name: max_depth, type: integer, nullable: yes-please}" : l))))).toEqual([
      "10: params[1].nullable: must be boolean",
    ]);
  });
});
