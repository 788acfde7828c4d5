import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runCli, tempDir, writeArchive } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { components, python } from "./catalog.js";

/**
 * Bad tabular input, as a user meets it: one clear line naming the file, line
 * and column, exit 2, and nothing created (no run folder, nothing in the output).
 */
function folder(files: Record<string, string>): string {
  const dir = tempDir("aves2-bad-table-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function refused(args: string[]): Promise<string> {
  const runs = tempDir();
  const out = tempDir();
  const r = await runCli(["run", ...args, "--output", `output_path=${out}`], { env: { AVES2_RUNS_DIR: runs } });
  expect(r.code, r.stdout + r.stderr).toBe(2);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  expect(readdirSync(runs)).toEqual([]);
  expect(readdirSync(out)).toEqual([]);
  return r.stderr.trim();
}

const IRIS_ROWS = "5.1,3.5,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n6.3,3.3,6.0,2.5,virginica\n4.9,3.0,1.4,0.2,setosa\n";

describe("the tabular family refuses bad input before anything starts", () => {
  it("a CSV with no header row", async () => {
    const d = folder({ "train.csv": IRIS_ROWS });
    expect(await refused(["logistic-regression", "--input", `data_dir=${d}`])).toBe(
      `error: ${d}/train.csv:1: has no header row: its first line is data (5.1,3.5,1.4,0.2,setosa) (add a first line that names the columns)`,
    );
  });

  it("a ragged row", async () => {
    const d = folder({ "train.csv": `a,b,c,d,species\n${IRIS_ROWS.replace("7.0,3.2", "7,0,3.2")}` });
    expect(await refused(["logistic-regression", "--input", `data_dir=${d}`])).toBe(
      `error: ${d}/train.csv:3: has 6 fields, the header has 5 (a value that holds a comma must be in double quotes)`,
    );
  });

  it("a non-numeric value in a numeric column", async () => {
    const d = folder({ "train.csv": `a,b,c,d,species\n${IRIS_ROWS.replace("6.0", "six")}` });
    expect(await refused(["random-forest-classifier", "--input", `data_dir=${d}`])).toBe(
      `error: ${d}/train.csv:4: column "c": "six" is not a number (the column's other values are numbers) (fix the value, or leave it empty to have it imputed)`,
    );
  });

  it("an empty file", async () => {
    const d = folder({ "train.csv": "" });
    expect(await refused(["gbdt-regressor", "--input", `data_dir=${d}`])).toBe(`error: ${d}/train.csv: is empty (a CSV needs a header row and at least one data row)`);
  });

  it("a target with one class", async () => {
    const d = folder({ "train.csv": "x,y,label\n1,2,a\n3,4,a\n5,6,a\n" });
    expect(await refused(["decision-tree-classifier", "--input", `data_dir=${d}`])).toBe(
      `error: ${d}/train.csv: the target "label" has one class ("a") (a classifier needs at least two classes)`,
    );
  });

  it("a target column that is not there", async () => {
    const d = folder({ "train.csv": "x,y,label\n1,2,a\n3,4,b\n" });
    expect(await refused(["svm-classifier", "--input", `data_dir=${d}`, "--set", "target=lable"])).toBe(`error: ${d}/train.csv:1: has no column "lable" (did you mean "label"?)`);
  });

  it("a bad val.csv beside a good train.csv", async () => {
    const d = folder({ "train.csv": `a,b,c,d,species\n${IRIS_ROWS}`, "val.csv": "d,c,b,a,species\n0.2,1.4,three,5.1,setosa\n" });
    expect(await refused(["logistic-regression", "--input", `data_dir=${d}`])).toBe(
      `error: ${d}/val.csv:2: column "b": "three" is not a number (the model reads this column as numbers) (fix the value, or leave it empty to have it imputed)`,
    );
  });

  it("params scikit-learn would reject only when fitting: the launcher says so first, the entry too", async () => {
    expect(await refused(["logistic-regression", "--set", "penalty=l1", "--set", "solver=lbfgs"])).toBe("error: --solver: lbfgs does not support the l1 penalty (with --penalty l1 use liblinear or saga)");
    // the same job on AVES2 never meets the launcher: the entry refuses it in the same words
    const c = components().find((x) => x.name === "logistic-regression")!;
    const out = tempDir();
    const r = spawnSync(await python(), ["run.py", "--data_dir", join(c.dir, "data"), "--output_path", out, "--penalty", "l1", "--solver", "lbfgs"], {
      cwd: c.sourceDir,
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("error: --solver: lbfgs does not support the l1 penalty (with --penalty l1 use liblinear or saga)\n");
    expect(readdirSync(out)).toEqual([]);
  });

  it("n_clusters larger than the number of rows", async () => {
    const d = folder({ "data.csv": "x,y\n0,0\n1,1\n" });
    expect(await refused(["kmeans", "--input", `data_dir=${d}`])).toBe(`error: ${d}/data.csv: has 2 rows, fewer than n_clusters (3) (lower n_clusters)`);
  });

  it("a model_dir from a regression run given to classification-evaluate", async () => {
    const runs = tempDir();
    const trained = await runCli(["run", "linear-regression", "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(trained.code, trained.stderr).toBe(0);
    const id = JSON.parse(trained.stdout).runId as string;
    const out = tempDir();
    const r = await runCli(["run", "classification-evaluate", "--input", `model_dir=run:${id}/output_path`, "--output", `output_path=${out}`], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: ${runs}/${id}/output/output_path: holds a regression model (trained by linear-regression), not a classification model (use regression-evaluate or regression-predict)`,
    );
    expect(readdirSync(runs)).toEqual([id]);
    expect(readdirSync(out)).toEqual([]);
  });

  it("data that reaches the run unchecked (an archive, as from object storage) fails the run with the same line and exit 2, and writes nothing", async () => {
    const archive = writeArchive(join(tempDir(), "data.tar.gz"), [{ name: "train.csv", content: `a,b,c,d,species\n${IRIS_ROWS.replace("6.0", "six")}` }]);
    const runs = tempDir();
    const out = tempDir();
    const r = await runCli(["run", "random-forest-classifier", "--input", `data_dir=${archive}`, "--output", `output_path=${out}`], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
    expect(r.code).toBe(2); // the entry refused its input (exit 2): so does the command
    expect(r.stdout + r.stderr).toMatch(/worker-0 exited with code 2: error: .*\/train\.csv:4: column "c": "six" is not a number/);
    expect(readdirSync(out)).toEqual([]);
  });
});
