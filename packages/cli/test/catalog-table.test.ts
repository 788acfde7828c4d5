import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO, tempDir } from "./cli.js";

const SCRIPT = join(REPO, "scripts/catalog-table.mjs");
const TABULAR = fileURLToPath(new URL("./fixtures/tabular-catalog", import.meta.url));

function table(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const README = ["# A catalog", "", "Intro.", "", "<!-- catalog:begin -->", "old table", "<!-- catalog:end -->", "", "## Next", ""].join("\n");

/** A copy of the tabular fixture catalog with a README that has the markers. */
function catalog(): string {
  const root = tempDir("aves2-table-");
  cpSync(TABULAR, root, { recursive: true });
  writeFileSync(join(root, "README.md"), README);
  return root;
}

describe("the README's catalog table (scripts/catalog-table.mjs)", () => {
  it("is up to date in this repository (after adding a component, run `pnpm catalog:table`)", () => {
    const r = table(["--check"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("writes the table between the markers, by category, and leaves the rest of the file alone", () => {
    const root = catalog();
    const r = table(["--root", root], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("README.md: wrote the catalog table (6 components)\n");
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe(
      [
        "# A catalog",
        "",
        "Intro.",
        "",
        "<!-- catalog:begin -->",
        "<!-- generated from the components' manifests by `pnpm catalog:table`: edit those, not this table -->",
        "",
        "| component | replaces (upstream folder) | framework | title | sample check |",
        "| --- | --- | --- | --- | --- |",
        "| **cv/image-classification** (1) | | | | |",
        "| [`tiny-cnn`](components/tiny-cnn/) | - | pytorch | A small image classifier | - |",
        "| **ml/classification** (3) | | | | |",
        "| [`classification-eval`](components/classification-eval/) | `ml/classification/test_classification` | sklearn | Evaluate a saved classifier | 0.8 ≤ accuracy ≤ 1, with model_dir from forest-classifier/output_path |",
        "| [`forest-classifier`](components/forest-classifier/) | `ml/classification/randomForest` | sklearn | Random forest classifier | accuracy ≥ 0.9, --set n_estimators=10 |",
        "| [`tree-classifier`](components/tree-classifier/) | `ml/classification/decisionTree` | sklearn | Decision tree classifier | - |",
        "| **ml/cluster** (1) | | | | |",
        "| [`kmeans`](components/kmeans/) | `ml/cluster/kmeans` | sklearn | K-means clustering | - |",
        "| **ml/regression** (1) | | | | |",
        "| [`forest-regressor`](components/forest-regressor/) | `ml/regression/randomForest` | sklearn | Random forest regressor | rmse ≤ 5 |",
        "",
        "<!-- catalog:end -->",
        "",
        "## Next",
        "",
      ].join("\n"),
    );
    // a second run changes nothing
    expect(table(["--root", root], root).stdout).toBe("README.md: the catalog table is up to date (6 components)\n");
    expect(table(["--check", "--root", root], root)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("--check fails in one line, without touching the file, when a manifest changed", () => {
    const root = catalog();
    table(["--root", root], root);
    const file = join(root, "components/kmeans/component.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("title: K-means clustering", "title: K-means | mini-batch"));
    const before = readFileSync(join(root, "README.md"), "utf8");
    const r = table(["--check", "--root", root], root);
    expect(r).toEqual({ code: 1, stdout: "", stderr: "README.md: the catalog table is stale; regenerate it with `pnpm catalog:table`\n" });
    expect(readFileSync(join(root, "README.md"), "utf8")).toBe(before);
    // a | in a title is escaped, so it stays one cell
    table(["--root", root], root);
    expect(readFileSync(join(root, "README.md"), "utf8")).toContain("| [`kmeans`](components/kmeans/) | `ml/cluster/kmeans` | sklearn | K-means \\| mini-batch | - |");
  });

  it("refuses a README without the markers, a broken manifest and unknown arguments (exit 2)", () => {
    const root = catalog();
    writeFileSync(join(root, "README.md"), "# no markers\n");
    expect(table(["--root", root], root)).toEqual({
      code: 2,
      stdout: "",
      stderr: "README.md: no <!-- catalog:begin --> ... <!-- catalog:end --> markers to write the catalog table between\n",
    });
    const broken = catalog();
    const file = join(broken, "components/kmeans/component.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("framework: sklearn", "framework: scikit"));
    const r = table(["--check", "--root", broken], broken);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`  ${file}:5: framework: must be one of "pytorch", "tensorflow", "sklearn", "xgboost", "generic"\n`);
    expect(table(["--chek"]).stderr).toMatch(/^unknown argument "--chek"\nusage: /);
  });
});
