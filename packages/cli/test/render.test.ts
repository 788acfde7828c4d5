import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

describe("render", () => {
  it("prints the plan and creates nothing", async () => {
    const runs = tempDir();
    const r = await runCli(["render", "echo", "--set", "epochs=3", "--json"], { env: { AVES2_RUNS_DIR: runs } });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.backend).toBe("local");
    expect(plan.spec.params.epochs).toBe(3);
    expect(plan.processes[0].argv.slice(0, 6)).toEqual(["node", "main.mjs", "--message", "hello", "--epochs", "3"]);
    expect(existsSync(join(runs, plan.runId))).toBe(false);
  });

  it("prints YAML by default", async () => {
    const r = await runCli(["render", "echo"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend: local$/m);
    expect(r.stdout).toMatch(/^processes:$/m);
  });

  it("params: defaults, then --params files, then --set; types coerced", async () => {
    const dir = tempDir();
    const file = join(dir, "p.yaml");
    (await import("node:fs")).writeFileSync(file, "epochs: 7\nmessage: from-file\nverbose: yes\n");
    const r = await runCli(["render", "echo", "--params", file, "--set", "message=from-set", "--json"]);
    const params = JSON.parse(r.stdout).spec.params;
    expect(params).toMatchObject({ epochs: 7, message: "from-set", verbose: true, mode: "fast" });
  });
});

describe("bad input is one clear line per problem, exit 2, nothing started", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown param", ["--set", "epoch=3"], /^error: --set: unknown param "epoch" \(did you mean "epochs"\?\)$/m],
    ["wrong type", ["--set", "epochs=three"], /^error: --set epochs: "three" is not an integer$/m],
    ["out of range", ["--set", "epochs=1000"], /^error: --set epochs: 1000 is above the maximum 100$/m],
    ["enum value", ["--set", "mode=turbo"], /^error: --set mode: "turbo" is not one of fast, slow$/m],
    ["malformed --set", ["--set", "epochs"], /^error: --set: "epochs" is not name=value/m],
    ["unknown input", ["--input", "dataa_dir=/tmp"], /unknown input "dataa_dir" \(did you mean "data_dir"\?\)/],
    ["missing input path", ["--input", "data_dir=/no/such/dir"], /^error: --input data_dir: \/no\/such\/dir does not exist$/m],
    ["unknown scheme", ["--input", "data_dir=ftp://host/x"], /unknown scheme "ftp:\/\/"/],
    ["pvc on local", ["--input", "data_dir=pvc://claim/x"], /pvc:\/\/ is not supported for local runs/],
    ["unwritable output", ["--output", "result_dir=/etc/hostname/out"], /result_dir: \/etc\/hostname\/out cannot be created: \/etc\/hostname is a file/],
    ["missing params file", ["--params", "nope.yaml"], /^error: --params nope.yaml: file not found$/m],
    ["unsupported distribute", ["--distribute", "TF_PS"], /echo does not support TF_PS/],
    ["unknown backend", ["--backend", "slurm"], /unknown backend "slurm"/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const runs = tempDir();
      const r = await runCli(["run", "echo", ...args], { env: { AVES2_RUNS_DIR: runs } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
      expect((await import("node:fs")).readdirSync(runs)).toEqual([]);
    });
  }

  it("several problems are reported together", async () => {
    const r = await runCli(["run", "echo", "--set", "epochs=0", "--set", "mode=x", "--set", "bogus=1"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(3);
  });

  it("a missing required input is named", async () => {
    const root = tempDir();
    const fs = await import("node:fs");
    fs.cpSync((await import("./cli.js")).FIXTURE, root, { recursive: true });
    const file = join(root, "components/echo/component.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("    default: data\n", ""));
    const r = await runCli(["run", "echo"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input data_dir: is a required input and was not given \(add --input data_dir=/);
  });
});

describe("resources", () => {
  it("--resource overrides a role's resources", async () => {
    const r = await runCli(["render", "echo", "--distribute", "PYTORCH_DDP", "-r", "worker.count=3", "-r", "worker.mem=1.5", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).spec.resources.worker).toEqual({ count: 3, cpu: 1, mem: 1.5, gpu: 0 });
  });
  it("names a malformed --resource", async () => {
    const r = await runCli(["render", "echo", "-r", "worker.cpus=2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"worker.cpus" is not role.key/);
  });
});
