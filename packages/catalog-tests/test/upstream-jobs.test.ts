import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Component, requestFromJobFile, resolveRun, toYaml } from "@aves2/core";
import { REPO, runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { components } from "./catalog.js";

/**
 * Existing AVES2 job files for the upstream components (jd-aig/aves2_algorithm_components)
 * run ours unchanged: `cmd: python3 run.py`, the upstream folder as source_code, the
 * upstream's own args and values (from each folder's run.sh).
 */
const UPSTREAM_ARGS = JSON.parse(readFileSync(new URL("./fixtures/upstream-args.json", import.meta.url), "utf8")) as Record<string, Record<string, unknown>>;
const catalog = components();
const replacing = catalog.filter((c) => c.upstream);

function jobFile(upstream: string, args: Record<string, unknown>, data: Record<string, string>, outputs: Record<string, string>, mode: "OSSFile" | "HostPath", cmd = "python3 run.py"): string {
  const conf = (path: string) => ({ storage_mode: mode, storage_conf: { path } });
  const dir = tempDir("aves2-upstream-job-");
  const file = join(dir, "job.yaml");
  const job = {
    job_name: `upstream ${upstream}`,
    debug: false,
    distribute_type: null,
    image: "ai-image.jd.com/sklearn:0.20-py3.6",
    resource_spec: { worker: { count: 1, cpu: 2, mem: 4, gpu: 0 } },
    running_spec: {
      source_code: { storage_mode: "OSSFile", storage_conf: { path: `s3://aves2/opensource/components/${upstream}/` } },
      envs: [],
      cmd,
      normal_args: Object.entries(args).map(([name, value]) => ({ name, value })),
      input_args: Object.entries(data).map(([name, path]) => ({ name, data_conf: conf(path) })),
      output_args: Object.entries(outputs).map(([name, path]) => ({ name, data_conf: conf(path) })),
    },
  };
  writeFileSync(file, toYaml(job));
  return file;
}

function inputsOf(c: Component, root: string): Record<string, string> {
  return Object.fromEntries(c.inputs.map((i) => [i.name, `${root}${i.name}/`]));
}

describe("upstream AVES2 job files pick the component that replaces them", () => {
  it("has the upstream args of every replaced folder", () => {
    expect(Object.keys(UPSTREAM_ARGS).filter((k) => k !== "//").sort()).toEqual([...new Set(replacing.map((c) => c.upstream!))].sort()); // several components may replace one folder (CRNN: train, evaluate, predict)
  });

  for (const c of replacing) {
    it(`${c.upstream} → ${c.name}`, () => {
      const args = UPSTREAM_ARGS[c.upstream!]!;
      const outputs = Object.fromEntries(c.outputs.map((o) => [o.name, `s3://aves2/out/${o.name}/`]));
      const file = jobFile(c.upstream!, args, inputsOf(c, "s3://aves2/data/"), outputs, "OSSFile", c.command.join(" "));
      const { component, request, matchedBy, replacedCode } = requestFromJobFile(REPO, file, undefined, {}, REPO, "local");
      expect(component.name).toBe(c.name);
      // by the folder, or by a folder segment that is the component's own name (kmeans, svr)
      expect(["upstream folder", "command"]).toContain(matchedBy);
      // the upstream's TF1/old-sklearn code is not run: the component's own is
      expect(replacedCode?.uri).toBe(`s3://aves2/opensource/components/${c.upstream}/`);
      expect(request.code).toBeUndefined();
      const spec = resolveRun(component, request);
      expect(spec.code).toEqual({ scheme: "file", path: c.sourceDir });
      for (const [name, value] of Object.entries(args)) {
        const param = spec.params.find((p) => p.name === name);
        expect(param, `${name} is a param of ${c.name}`).toBeDefined();
        expect(String(param!.value).toLowerCase()).toBe(String(value).toLowerCase()); // "False" is the boolean false
      }
    });
  }
});

describe("upstream job files run end to end on this machine", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    // criterion "mse" (removed in scikit-learn 1.2) and max_depth "None", as run.sh passes them
    ["ml/regression/decisionTree", "decision-tree-regressor", { ...UPSTREAM_ARGS["ml/regression/decisionTree"], target: "performance" }],
    // bin_seeding "False" (upstream's argparse type=bool read it as True)
    ["ml/cluster/meanshift", "mean-shift", UPSTREAM_ARGS["ml/cluster/meanshift"]!],
    ["ml/classification/svm", "svm-classifier", UPSTREAM_ARGS["ml/classification/svm"]!],
  ];
  for (const [upstream, name, args] of cases) {
    it(`${upstream} with HostPath data runs ${name}`, async () => {
      const c = catalog.find((x) => x.name === name)!;
      const out = tempDir("aves2-upstream-out-");
      const file = jobFile(upstream, args, { data_dir: join(c.dir, "data") }, { output_path: out }, "HostPath");
      const runs = tempDir();
      const r = await runCli(["run", "-f", file, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`is the upstream ${upstream}, which ${name} replaces`);
      const record = JSON.parse(r.stdout);
      expect(record.component.name).toBe(name);
      const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
      expect(result.component).toBe(name);
      expect(existsSync(join(out, "model.json"))).toBe(true);
      expect(existsSync(join(out, "_SUCCESS"))).toBe(true);
      if (name === "decision-tree-regressor") expect(result.params).toEqual(expect.objectContaining({ criterion: "squared_error", max_depth: null }));
      if (name === "mean-shift") expect(result.params.bin_seeding).toBe(false);
    });
  }
});
