import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/** Components that replace upstream AVES2 entries, in three ml categories, plus one cv component with none. */
const TABULAR = fileURLToPath(new URL("./fixtures/tabular-catalog", import.meta.url));
const list = (args: string[], cwd = TABULAR) => runCli(["list", ...args], { cwd });
const names = (stdout: string) => (JSON.parse(stdout) as { name: string }[]).map((c) => c.name);

/** A copy of the tabular catalog, with `edit` applied to one manifest's text. */
function edited(component: string, edit: (text: string) => string): string {
  const root = tempDir();
  cpSync(TABULAR, root, { recursive: true });
  const file = join(root, "components", component, "component.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8")));
  return root;
}

describe("list: grouped by category, filtered", () => {
  it("prints a heading per category (sorted), names sorted under it, columns aligned across groups", async () => {
    const r = await list([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      [
        "  NAME                 VERSION  FRAMEWORK  REPLACES                               TITLE",
        "cv/image-classification (1)",
        "  tiny-cnn             0.0.0    pytorch    -                                      A small image classifier",
        "ml/classification (3)",
        "  classification-eval  0.0.0    sklearn    ml/classification/test_classification  Evaluate a saved classifier",
        "  forest-classifier    0.0.0    sklearn    ml/classification/randomForest         Random forest classifier",
        "  tree-classifier      0.0.0    sklearn    ml/classification/decisionTree         Decision tree classifier",
        "ml/cluster (1)",
        "  kmeans               0.0.0    sklearn    ml/cluster/kmeans                      K-means clustering",
        "ml/regression (1)",
        "  forest-regressor     0.0.0    sklearn    ml/regression/randomForest             Random forest regressor",
        "",
      ].join("\n"),
    );
  });

  it("--category takes a category or everything under it; --framework and words narrow further", async () => {
    const ml = await list(["--category", "ml", "--json"]);
    expect(names(ml.stdout)).toEqual(["classification-eval", "forest-classifier", "tree-classifier", "kmeans", "forest-regressor"]);
    expect(names((await list(["--category", "ml/regression", "--json"])).stdout)).toEqual(["forest-regressor"]);
    expect(names((await list(["--framework", "pytorch", "--json"])).stdout)).toEqual(["tiny-cnn"]);
    // every word, any case, in the name, title, description, category or upstream folder
    expect(names((await list(["RANDOMFOREST", "--json"])).stdout)).toEqual(["forest-classifier", "forest-regressor"]);
    expect(names((await list(["random", "regressor", "--json"])).stdout)).toEqual(["forest-regressor"]);
    expect(names((await list(["held-out", "--json"])).stdout)).toEqual(["classification-eval"]);
    const table = await list(["--category", "ml/classification", "decision"]);
    expect(table.stdout.split("\n").filter(Boolean)).toEqual([
      "  NAME             VERSION  FRAMEWORK  REPLACES                        TITLE",
      "ml/classification (1)",
      "  tree-classifier  0.0.0    sklearn    ml/classification/decisionTree  Decision tree classifier",
    ]);
  });

  it("says so in one line when nothing matches (exit 0), and prints [] as JSON", async () => {
    const r = await list(["--category", "nlp", "forest"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no components match --category nlp "forest" (6 in this catalog; `component list` shows them all)\n');
    const json = await list(["--category", "nlp", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it("refuses a framework that does not exist, exit 2, one line", async () => {
    const r = await list(["--framework", "scikit"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('error: --framework: "scikit" is not a framework (frameworks are: pytorch, tensorflow, sklearn, xgboost, generic)\n');
  });

  it("--json has the upstream and the sample (null when unset) of each component", async () => {
    const all = JSON.parse((await list(["--json"])).stdout) as Record<string, unknown>[];
    const byName = Object.fromEntries(all.map((c) => [c.name, c]));
    expect(byName["forest-classifier"]).toEqual({
      name: "forest-classifier",
      version: "0.0.0",
      title: "Random forest classifier",
      description: "A random forest on a CSV with a target column.",
      category: "ml/classification",
      framework: "sklearn",
      distribute: ["none"],
      upstream: "ml/classification/randomForest",
      sample: { metric: "accuracy", min: 0.9, set: { n_estimators: 10 } },
      dir: join(TABULAR, "components/forest-classifier"),
      valid: true,
    });
    expect(byName["classification-eval"]).toMatchObject({ sample: { metric: "accuracy", min: 0.8, max: 1, uses: { model_dir: "forest-classifier/output_path" } } });
    expect(byName["tiny-cnn"]).toMatchObject({ upstream: null, sample: null });
  });

  it("still shows a manifest that does not load, last, and finds it by its folder name", async () => {
    const root = edited("kmeans", (t) => t.replace("framework: sklearn", "framework: scikit"));
    const r = await list([], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\ninvalid \(1\)\n {2}kmeans\s+-\s+-\s+-\s+invalid: see `component validate`\n$/);
    expect(r.stdout).not.toContain("ml/cluster");
    const found = JSON.parse((await list(["kmeans", "--json"], root)).stdout);
    expect(found).toEqual([expect.objectContaining({ name: "kmeans", valid: false })]);
  });
});

describe("info: the upstream it replaces and its sample check", () => {
  it("shows replaces: and the sample run's bound, set params and inputs from other components", async () => {
    const rf = await runCli(["info", "forest-classifier"], { cwd: TABULAR });
    expect(rf.code).toBe(0);
    expect(rf.stdout).toContain("\nreplaces: ml/classification/randomForest (the upstream AVES2 component folder)\n");
    expect(rf.stdout).toMatch(/\nmax_depth\s+integer or None\s+-\s+1 \.\. ∞\s+None grows every tree/);
    expect(rf.stdout).toContain("\nsample run: accuracy ≥ 0.9, --set n_estimators=10\n");
    const ev = await runCli(["info", "classification-eval"], { cwd: TABULAR });
    expect(ev.stdout).toContain("\nsample run: 0.8 ≤ accuracy ≤ 1, with model_dir from forest-classifier/output_path\n");
    const tree = await runCli(["info", "tree-classifier"], { cwd: TABULAR });
    expect(tree.stdout).toMatch(/\nmax_depth\s+integer or None\s+None\s/);
    expect(tree.stdout).not.toContain("sample run:");
    const cnn = await runCli(["info", "tiny-cnn"], { cwd: TABULAR });
    expect(cnn.stdout).not.toContain("replaces:");
    const json = JSON.parse((await runCli(["info", "classification-eval", "--json"], { cwd: TABULAR })).stdout);
    expect(json).toMatchObject({ upstream: "ml/classification/test_classification", sample: { uses: { model_dir: "forest-classifier/output_path" } } });
  });
});

describe("validate: sample.uses across the catalog", () => {
  it("passes the fixture catalog", async () => {
    const r = await runCli(["validate"], { cwd: TABULAR });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(6);
  });

  it("reports a ref to an unknown component or output under the component that has it, with its line", async () => {
    const root = edited("classification-eval", (t) => t.replace("forest-classifier/output_path", "forest-clasifier/output_path"));
    const file = join(root, "components/classification-eval/component.yaml");
    const all = await runCli(["validate"], { cwd: root });
    expect(all.code).toBe(2);
    expect(all.stdout).toContain(
      `✗ classification-eval\n  ${file}:18: sample.uses.model_dir: no component "forest-clasifier" in this catalog (did you mean "forest-classifier" or "tree-classifier"?)\n✓ forest-classifier\n`,
    );
    // named: only that component's problems, still checked against the whole catalog
    const named = await runCli(["validate", "classification-eval"], { cwd: root });
    expect(named.code).toBe(2);
    expect(named.stdout.split("\n")[0]).toBe("✗ classification-eval");
    const other = await runCli(["validate", "kmeans"], { cwd: root });
    expect([other.code, other.stdout]).toEqual([0, "✓ kmeans\n"]);

    const noOutput = edited("classification-eval", (t) => t.replace("forest-classifier/output_path", "forest-classifier/model"));
    const json = JSON.parse((await runCli(["validate", "classification-eval", "--json"], { cwd: noOutput })).stdout);
    expect(json).toEqual([
      {
        target: "classification-eval",
        valid: false,
        problems: [
          {
            path: join(noOutput, "components/classification-eval/component.yaml"),
            line: 18,
            message: 'sample.uses.model_dir: forest-classifier has no output "model"',
            hint: "its outputs are: output_path",
          },
        ],
      },
    ]);
  });

  it("reports a cycle under each component in it", async () => {
    const root = edited("forest-classifier", (t) => t.replace("  set: {n_estimators: 10}\n", "  set: {n_estimators: 10}\n  uses: {data_dir: classification-eval/output_path}\n"));
    const r = await runCli(["validate"], { cwd: root });
    expect(r.code).toBe(2);
    const cycle = "is part of a cycle of sample runs: classification-eval → forest-classifier → classification-eval";
    expect(r.stdout).toMatch(new RegExp(`✗ classification-eval\\n {2}\\S+:18: sample\\.uses\\.model_dir: ${cycle}`));
    expect(r.stdout).toMatch(new RegExp(`✗ forest-classifier\\n {2}\\S+:28: sample\\.uses\\.data_dir: ${cycle}`));
    expect(r.stdout).toContain("✓ tree-classifier");
  });

  it("reports a sample that names no param or input, with lines (the manifest's own rules)", async () => {
    const root = edited("forest-regressor", (t) => t.replace("  max: 5\n", "  max: 5\n  min: 9\n  set: {depth: 3}\n  uses: {model_dir: forest-classifier/output_path}\n"));
    const r = await runCli(["validate", "forest-regressor"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/component\.yaml:16: sample\.min: min 9 is above max 5\n/);
    expect(r.stdout).toMatch(/component\.yaml:17: sample\.set\.depth: "depth" is not a param \(this component has no params\)\n/);
    expect(r.stdout).toMatch(/component\.yaml:18: sample\.uses\.model_dir: "model_dir" is not an input \(inputs are: data_dir\)\n/);
    expect(r.stdout).not.toMatch(/at .*\.js:\d+/);
  });
});
