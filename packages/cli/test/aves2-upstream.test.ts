import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "@aves2/core";
import { REPO } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/** Components replacing upstream AVES2 entries; all of them are `python3 run.py`, like the upstream's. */
const TABULAR = fileURLToPath(new URL("./fixtures/tabular-catalog", import.meta.url));
/** A job file written for the upstream random forest classifier (its source_code is the upstream folder). */
const UPSTREAM_JOB = readFileSync(join(REPO, "packages/core/test/aves2/fixtures/upstream-rf-job.yaml"), "utf8");
const NO_AVES2 = { AVES2_CLIENT_CONFIG: "/no/such/aves2.cfg" };

/** A copy of the tabular catalog with job.yaml at its root (where the tests run the CLI). */
function jobFile(text = UPSTREAM_JOB): string {
  const root = tempDir();
  cpSync(TABULAR, root, { recursive: true });
  writeFileSync(join(root, "job.yaml"), text);
  return root;
}

type LocalPlan = { spec: { component: { name: string }; code: string }; code: { from: string }; processes: { argv: string[] }[] };

describe("an upstream AVES2 component's job file", () => {
  it("renders with the component that replaces it, and its own code, saying so in one line", async () => {
    const cwd = jobFile();
    const r = await runCli(["render", "-f", "job.yaml"], { cwd, env: { AVES2_RUNS_DIR: join(cwd, "runs") } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      "job.yaml: source_code s3://aves2/opensource/components/ml/classification/randomForest/ is the upstream ml/classification/randomForest, which forest-classifier replaces: its own code runs instead\n",
    );
    const plan = parseYaml(r.stdout, "plan.yaml").data as LocalPlan;
    const own = join(cwd, "components/forest-classifier/src");
    expect(plan.spec.component.name).toBe("forest-classifier");
    expect(plan.spec.code).toBe(own);
    expect(plan.code.from).toBe(own);
    expect(r.stdout).not.toContain("ml/classification/randomForest");
    // the upstream's `--max_depth None` reaches the process as it was written
    expect(plan.processes[0]!.argv.slice(0, 6)).toEqual(["python3", "run.py", "--n_estimators", "50", "--max_depth", "None"]);
  }, 30_000);

  it("tells the regression forest from the classification one by the source folder", async () => {
    const cwd = jobFile(UPSTREAM_JOB.replace("ml/classification/randomForest/", "ml/regression/randomForest/").replace(/ {4}- name: n_estimators\n.*\n {4}- name: max_depth\n.*\n/, ""));
    const r = await runCli(["render", "-f", "job.yaml"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("which forest-regressor replaces: its own code runs instead\n");
    expect((parseYaml(r.stdout, "plan.yaml").data as LocalPlan).spec.component.name).toBe("forest-regressor");
  }, 30_000);

  it("with --code, runs that code and says so", async () => {
    const cwd = jobFile();
    const code = join(cwd, "my-code");
    cpSync(join(cwd, "components/forest-classifier/src"), code, { recursive: true });
    const r = await runCli(["render", "-f", "job.yaml", "--code", code], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`job.yaml: source_code s3://aves2/opensource/components/ml/classification/randomForest/ is the upstream ml/classification/randomForest, which forest-classifier replaces: --code ${code} runs instead\n`);
    expect((parseYaml(r.stdout, "plan.yaml").data as LocalPlan).spec.code).toBe(code);
  }, 30_000);

  it("for AVES2, explains why the job now needs the component's code in storage (exit 2, no stack)", async () => {
    const cwd = jobFile();
    const r = await runCli(["render", "-f", "job.yaml", "--backend", "aves2"], { cwd, env: NO_AVES2 });
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: --code: .*forest-classifier\/src is on this machine, where an AVES2 job cannot read it/);
    expect(lines[1]).toBe(
      "error: job.yaml: source_code s3://aves2/opensource/components/ml/classification/randomForest/ is the upstream ml/classification/randomForest, which forest-classifier replaces: its own code runs instead",
    );
    const ok = await runCli(["render", "-f", "job.yaml", "--backend", "aves2", "--code", "s3://aves2/components/forest-classifier/0.0.0/"], { cwd, env: NO_AVES2 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("path: s3://aves2/components/forest-classifier/0.0.0/");
    expect(ok.stdout).toMatch(/- name: max_depth\n\s+value: None\n/);
  }, 30_000);
});
