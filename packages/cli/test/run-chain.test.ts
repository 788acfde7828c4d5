/**
 * Chaining runs: `--input name=run:<run>/<output>` binds an input to another
 * run's output: its folder here for a local run, the storage URI it was saved
 * to for AVES2 and Kubernetes.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "@aves2/core";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, runCli as runIn, tempDir } from "./cli.js";

let root: string;
/** The fixture catalog plus `score`, which lists the model_dir it was given into result_dir/seen.json. */
beforeAll(() => {
  root = tempDir("aves2-chain-");
  cpSync(FIXTURE, root, { recursive: true });
  const score = join(root, "components/score");
  mkdirSync(join(score, "src"), { recursive: true });
  writeFileSync(
    join(score, "component.yaml"),
    `name: score
title: Test component that reads another run's output
description: Lists the model_dir it was given into result_dir/seen.json. Runs with node.
category: test/fixture
framework: generic
command: [node, main.mjs]
source: src
inputs:
  - name: model_dir
    required: true
outputs:
  - name: result_dir
distribute: [none]
`,
  );
  writeFileSync(
    join(score, "src/main.mjs"),
    `import { readdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const args = process.argv.slice(2);
const opt = (name) => args[args.indexOf(\`--\${name}\`) + 1];
const model = opt("model_dir");
writeFileSync(join(opt("result_dir"), "seen.json"), JSON.stringify({ model_dir: realpathSync(model), files: readdirSync(model).sort() }));
`,
  );
});

const runCli = (args: string[], env: Record<string, string>) => runIn(args, { cwd: root, env });

/** Runs a component to success and returns its record. */
async function runOk(runs: string, args: string[]) {
  const before = new Set(readdirSync(runs));
  const r = await runCli(["run", ...args], { AVES2_RUNS_DIR: runs });
  expect(r.code, r.stderr).toBe(0);
  const id = readdirSync(runs).find((d) => !before.has(d))!;
  return JSON.parse(readFileSync(join(runs, id, "run.json"), "utf8"));
}

const outputDir = (runs: string, runId: string, name = "result_dir") => join(runs, runId, "output", name);
const seen = (runs: string, runId: string) => JSON.parse(readFileSync(join(outputDir(runs, runId), "seen.json"), "utf8"));

/** A run record as another machine's run (or a remote backend) left it: its output saved to `uri`, its folder here too. */
function handWritten(runs: string, runId: string, uri: string): string {
  const dir = join(runs, runId, "output", "output_path");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.json"), "{}");
  const spec = { runId, component: { name: "train", version: "1.0.0", dir: "/c" }, inputs: {}, outputs: { output_path: uri }, createdAt: "2026-03-01T10:00:00.000Z" };
  const record = {
    runId,
    backend: "local",
    component: { name: "train", version: "1.0.0" },
    state: "succeeded",
    createdAt: spec.createdAt,
    metrics: { epochs: [] },
    transfers: [],
    spec,
    plan: { backend: "local", runId, spec, runDir: join(runs, runId), outputs: [{ name: "output_path", dir, uri }] },
    details: {},
  };
  writeFileSync(join(runs, runId, "run.json"), JSON.stringify(record));
  return dir;
}

describe("chaining runs locally", () => {
  it("binds another run's output folder by a prefix of its id; the record says which run", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const echo = await runOk(runs, ["echo", "--set", "epochs=1"]);
    const score = await runOk(runs, ["score", "--input", `model_dir=run:${echo.runId.slice(0, 16)}/result_dir`]);
    expect(seen(runs, score.runId)).toEqual({ model_dir: realpathSync(outputDir(runs, echo.runId)), files: ["argv.json", "epoch-1.txt", "grandchild.pid"] });
    expect(score.spec.inputSources).toEqual({ model_dir: `run:${echo.runId}/result_dir` });
    expect(score.plan.inputs).toEqual([expect.objectContaining({ name: "model_dir", uri: outputDir(runs, echo.runId), stage: "link" })]);
  });

  it("run:latest skips the runs of the component being run; run:<component>@latest names the component", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const echo = await runOk(runs, ["echo", "--set", "epochs=2"]);
    const first = await runOk(runs, ["score", "--input", "model_dir=run:latest/result_dir"]);
    expect(seen(runs, first.runId).model_dir).toBe(realpathSync(outputDir(runs, echo.runId)));
    // the first score's result_dir is newer, but a score run does not read its own kind's output
    const second = await runOk(runs, ["score", "--input", "model_dir=run:latest/result_dir"]);
    expect(seen(runs, second.runId).model_dir).toBe(realpathSync(outputDir(runs, echo.runId)));
    expect(second.spec.inputSources).toEqual({ model_dir: `run:${echo.runId}/result_dir` });
    const third = await runOk(runs, ["score", "--input", "model_dir=run:score@latest/result_dir"]);
    expect(seen(runs, third.runId)).toEqual({ model_dir: realpathSync(outputDir(runs, second.runId)), files: ["seen.json"] });
  });
});

describe("chaining runs into AVES2 and Kubernetes (render)", () => {
  const NO_SERVERS = (runs: string) => ({ AVES2_RUNS_DIR: runs, AVES2_CLIENT_CONFIG: "/no/such/aves2.cfg", HOME: tempDir("aves2-home-"), KUBECONFIG: "" });

  it("--backend aves2: the s3:// URI the output was saved to, never the folder here; render shows where it came from", async () => {
    const runs = tempDir("aves2-chain-runs-");
    handWritten(runs, "train-20260301-100000-abcd", "s3://models/rf/");
    const r = await runCli(
      ["render", "echo", "--backend", "aves2", "--image", "node:20-slim", "--code", "s3://code/echo/", "--input", "data_dir=run:train-2026/output_path", "--output", "result_dir=s3://out/echo/"],
      NO_SERVERS(runs),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("# input data_dir: s3://models/rf/ (from run:train-20260301-100000-abcd/output_path)");
    const job = parseYaml(r.stdout, "job.yaml").data as { running_spec: { input_args: unknown[] } };
    expect(job.running_spec.input_args).toEqual([{ name: "data_dir", data_conf: { storage_mode: "OSSFile", storage_conf: { path: "s3://models/rf/" } } }]);
  });

  it("-f job.yaml with --input name=run:...: the job file's input is replaced by the run's URI", async () => {
    const runs = tempDir("aves2-chain-runs-");
    handWritten(runs, "train-20260301-100000-abcd", "s3://models/rf/");
    const jobFile = fileURLToPath(new URL("./fixtures/aves2/echo-flags.rendered.yaml", import.meta.url));
    const r = await runCli(["render", "echo", "-f", jobFile, "--backend", "aves2", "--input", "data_dir=run:train@latest/output_path"], NO_SERVERS(runs));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("# input data_dir: s3://models/rf/ (from run:train-20260301-100000-abcd/output_path)");
    const job = parseYaml(r.stdout, "job.yaml").data as { job_name: string; running_spec: { input_args: unknown[] } };
    expect(job.job_name).toBe("echo on aves2");
    expect(job.running_spec.input_args).toEqual([{ name: "data_dir", data_conf: { storage_mode: "OSSFile", storage_conf: { path: "s3://models/rf/" } } }]);
  });

  it("--backend kubernetes: the URI, with the run named in the header", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const dir = handWritten(runs, "train-20260301-100000-abcd", "s3://models/rf/");
    const r = await runCli(["render", "echo", "-b", "k8s", "--image", "node:20-slim", "--s3-secret", "s3-creds", "--input", "data_dir=run:train@latest/output_path"], NO_SERVERS(runs));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("\n# input data_dir: s3://models/rf/ (from run:train-20260301-100000-abcd/output_path)\n");
    expect(r.stdout).toContain("- s3://models/rf/");
    expect(r.stdout).not.toContain(dir);
  });

  it("--backend local: the folder here while it exists (render --json shows the source)", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const dir = handWritten(runs, "train-20260301-100000-abcd", "s3://models/rf/");
    const r = await runCli(["render", "echo", "--input", "data_dir=run:latest/output_path", "--json"], NO_SERVERS(runs));
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.inputs).toEqual([expect.objectContaining({ name: "data_dir", uri: dir, stage: "link" })]);
    expect(plan.spec.inputSources).toEqual({ data_dir: "run:train-20260301-100000-abcd/output_path" });
  });

  it("an output kept only on this machine cannot feed a cluster run: exit 2, with the fix", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const echo = await runOk(runs, ["echo", "--set", "epochs=1"]);
    const dir = outputDir(runs, echo.runId);
    const r = await runCli(
      ["render", "echo", "-b", "aves2", "--image", "node:20-slim", "--code", "s3://code/echo/", "--input", `data_dir=run:${echo.runId}/result_dir`, "--output", "result_dir=s3://out/echo/"],
      NO_SERVERS(runs),
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: --input data_dir: output result_dir of run ${echo.runId} was kept only on this machine (${dir}), where an AVES2 job cannot read it (run echo again with --output result_dir=s3://<bucket>/<prefix>/, or upload it with \`component storage sync ${dir} s3://<bucket>/<prefix>/\` and pass --input data_dir=s3://<bucket>/<prefix>/)\n`,
    );
  });
});

describe("bad run references: one line each, exit 2, nothing started", () => {
  it("unknown, ambiguous, failed, unknown output, malformed, and latest with none", async () => {
    const runs = tempDir("aves2-chain-runs-");
    const env = { AVES2_RUNS_DIR: runs };
    const ok = await runOk(runs, ["echo", "--set", "epochs=1"]);
    const failed = await runCli(["run", "echo", "--set", "epochs=1", "--set", "exit_code=3"], env);
    expect(failed.code).toBe(1);
    const failedId = readdirSync(runs).find((d) => d !== ok.runId)!;
    const shared = ok.runId.slice(0, 5);
    expect(failedId.startsWith(shared)).toBe(true);
    const cases: [string, string][] = [
      ["run:echo-19990101/result_dir", 'error: --input model_dir: no run "echo-19990101" (`component runs` lists them)'],
      ["run:echo/result_dir", `error: --input model_dir: "echo" matches 2 runs (be more specific: ${readdirSync(runs).filter((d) => d.startsWith("echo")).join(", ")})`],
      [`run:${failedId}/result_dir`, `error: --input model_dir: run ${failedId} failed: its outputs may be partial (use a succeeded run; \`component runs\` lists them)`],
      [`run:${ok.runId}/result`, `error: --input model_dir: run ${ok.runId} has no output "result" (did you mean "result_dir"?)`],
      [`run:${ok.runId}`, `error: --input model_dir: malformed run reference "run:${ok.runId}": expected run:<run-id>/<output> (or run:latest/<output>, run:<component>@latest/<output>; \`component runs\` lists the runs)`],
      ["run:latest/model", 'error: --input model_dir: no succeeded run has an output "model" (runs of score itself are not counted) (`component runs` lists them)'],
      ["run:score@latest/result_dir", 'error: --input model_dir: no succeeded run of score (`component runs` lists them)'],
    ];
    const before = readdirSync(runs).sort();
    for (const [ref, message] of cases) {
      const r = await runCli(["run", "score", "--input", `model_dir=${ref}`], env);
      expect(r.code, ref).toBe(2);
      expect(r.stderr, ref).toBe(`${message}\n`);
      expect(readdirSync(runs).sort(), ref).toEqual(before);
    }
  });

  it("--output and --code do not take run references", async () => {
    const r = await runCli(["render", "echo", "--output", "result_dir=run:latest/result_dir"], { AVES2_RUNS_DIR: tempDir("aves2-chain-runs-") });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --output result_dir: run reference "run:latest/result_dir" is not resolved here (only --input takes one: --input <name>=run:<run-id>/<output>)\n');
  });
});
