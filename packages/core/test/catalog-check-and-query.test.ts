import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { entryName, loadCatalog } from "../src/catalog/catalog.js";
import { checkCatalog } from "../src/catalog/check.js";
import { groupByCategory, queryCatalog } from "../src/catalog/query.js";
import { formatProblem, UserError } from "../src/errors.js";

interface Spec {
  category?: string;
  framework?: string;
  upstream?: string;
  title?: string;
  /** extra manifest lines (a sample: block) */
  extra?: string[];
  /** the whole manifest, for a broken one */
  raw?: string;
}

/** A catalog root with these components (each with one input `data_dir`, one `model_dir`, one output `output_path`). */
function catalog(components: Record<string, Spec>): string {
  const root = tempDir("aves2-catalog-");
  for (const [name, s] of Object.entries(components)) {
    const dir = join(root, "components", name);
    mkdirSync(join(dir, "src"), { recursive: true });
    const lines = [
      `name: ${name}`,
      `title: ${s.title ?? `The ${name} component`}`,
      "description: For catalog tests.",
      `category: ${s.category ?? "ml/classification"}`,
      `framework: ${s.framework ?? "sklearn"}`,
      ...(s.upstream ? [`upstream: ${s.upstream}`] : []),
      "command: [python3, run.py]",
      "source: src",
      "inputs: [{name: data_dir}, {name: model_dir}]",
      "outputs: [{name: output_path}]",
      ...(s.extra ?? []),
    ];
    writeFileSync(join(dir, "component.yaml"), s.raw ?? `${lines.join("\n")}\n`);
  }
  return root;
}

const uses = (refs: Record<string, string>) => ["sample:", "  metric: accuracy", "  min: 0.5", "  uses:", ...Object.entries(refs).map(([k, v]) => `    ${k}: ${v}`)];

/** checkCatalog's problems as `component file:line: message (hint)` with the file's folder only. */
function check(root: string): string[] {
  return checkCatalog(loadCatalog(root)).map((p) => `${p.component} ${formatProblem({ ...p, path: p.path!.slice(root.length + 1) })}`);
}

describe("checkCatalog: sample.uses between components", () => {
  it("accepts refs to another component's output", () => {
    const root = catalog({ train: {}, evaluate: { extra: uses({ model_dir: "train/output_path" }) } });
    expect(check(root)).toEqual([]);
  });

  it("names an unknown component (did you mean), a missing output, and a self-use, each at its line", () => {
    const root = catalog({
      train: {},
      evaluate: { extra: uses({ model_dir: "trian/output_path", data_dir: "train/output" }) },
      loop: { extra: uses({ model_dir: "loop/output_path" }) },
      lonely: { extra: uses({ model_dir: "nothing-like-it/x" }) },
    });
    expect(check(root)).toEqual([
      'evaluate components/evaluate/component.yaml:14: sample.uses.model_dir: no component "trian" in this catalog (did you mean "train"?)',
      'evaluate components/evaluate/component.yaml:15: sample.uses.data_dir: train has no output "output" (did you mean "output_path"?)',
      "lonely components/lonely/component.yaml:14: sample.uses.model_dir: no component \"nothing-like-it\" in this catalog (components are: evaluate, lonely, loop, train)",
      "loop components/loop/component.yaml:14: sample.uses.model_dir: loop cannot use its own output output_path (its sample run has not made it yet; bind the input to its bundled data instead)",
    ]);
  });

  it("finds cycles and files the problem under every component in it", () => {
    const root = catalog({
      a: { extra: uses({ model_dir: "b/output_path" }) },
      b: { extra: uses({ model_dir: "c/output_path" }) },
      c: { extra: uses({ data_dir: "a/output_path" }) },
      d: { extra: uses({ model_dir: "a/output_path" }) },
    });
    const cycle = "is part of a cycle of sample runs: a → b → c → a (each sample can only use the output of a sample that runs before it)";
    expect(check(root)).toEqual([
      `a components/a/component.yaml:14: sample.uses.model_dir: ${cycle}`,
      `b components/b/component.yaml:14: sample.uses.model_dir: ${cycle}`,
      `c components/c/component.yaml:14: sample.uses.data_dir: ${cycle}`,
    ]);
  });

  it("leaves refs to a component whose manifest does not load to that manifest's own problems", () => {
    const root = catalog({ broken: { raw: "name: broken\n" }, evaluate: { extra: uses({ model_dir: "broken/output_path" }) } });
    const entries = loadCatalog(root);
    expect(entries.find((e) => !e.component)?.problems?.length).toBeGreaterThan(0);
    expect(check(root)).toEqual([]);
  });
});

describe("queryCatalog and groupByCategory: what `component list` shows", () => {
  const root = catalog({
    "rf-classifier": { category: "ml/classification", upstream: "ml/classification/randomForest", title: "Random forest classifier" },
    "rf-regressor": { category: "ml/regression", upstream: "ml/regression/randomForest", title: "Random forest regressor" },
    kmeans: { category: "ml/cluster", upstream: "ml/cluster/kmeans" },
    "logistic-regression": { category: "ml/classification", upstream: "ml/classification/logisticReg" },
    cnn: { category: "cv/image-classification", framework: "pytorch" },
    mlx: { category: "mlx/other", framework: "generic" },
    broken: { raw: "name: broken\n" },
  });
  const entries = loadCatalog(root);
  const names = (q: Parameters<typeof queryCatalog>[1]) => queryCatalog(entries, q).map(entryName).sort();

  it("groups by category, then name; manifests that do not load last", () => {
    expect(groupByCategory(entries).map((g) => [g.category, g.entries.map(entryName)])).toEqual([
      ["cv/image-classification", ["cnn"]],
      ["ml/classification", ["logistic-regression", "rf-classifier"]],
      ["ml/cluster", ["kmeans"]],
      ["ml/regression", ["rf-regressor"]],
      ["mlx/other", ["mlx"]],
      [undefined, ["broken"]],
    ]);
  });

  it("filters by a category or a family of categories, not by a prefix of a name", () => {
    expect(names({ category: "ml" })).toEqual(["kmeans", "logistic-regression", "rf-classifier", "rf-regressor"]);
    expect(names({ category: "ml/classification/" })).toEqual(["logistic-regression", "rf-classifier"]);
    expect(names({ category: "ml/class" })).toEqual([]);
  });

  it("filters by framework, and refuses one that does not exist", () => {
    expect(names({ framework: "pytorch" })).toEqual(["cnn"]);
    expect(() => names({ framework: "torch" })).toThrow(UserError);
    expect(() => names({ framework: "pytorc" })).toThrow('--framework: "pytorc" is not a framework (did you mean "pytorch"?)');
  });

  it("needs every word, in any case, in the name, title, description, category or upstream folder", () => {
    expect(names({ words: ["RANDOMFOREST"] })).toEqual(["rf-classifier", "rf-regressor"]);
    expect(names({ words: ["random", "regressor"] })).toEqual(["rf-regressor"]);
    expect(names({ words: ["logisticreg"] })).toEqual(["logistic-regression"]);
    expect(names({ words: ["cluster"] })).toEqual(["kmeans"]);
    // a manifest that does not load is found by its folder name only
    expect(names({ words: ["brok"] })).toEqual(["broken"]);
    expect(names({ words: ["brok"], category: "ml" })).toEqual([]);
    expect(names({ words: ["random", "kmeans"] })).toEqual([]);
  });
});
