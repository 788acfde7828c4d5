import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { planLocal } from "../src/backends/local/plan.js";
import type { UserError } from "../src/errors.js";
import { loadComponent } from "../src/manifest/load.js";
import type { RunRequest } from "../src/run/request.js";
import { RUN_ID_RE } from "../src/run/run-id.js";
import { resolveRun } from "../src/run/spec.js";

const dir = fileURLToPath(new URL("./fixtures/tiny", import.meta.url));
const component = loadComponent(dir);
const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  component: "tiny",
  params: [{ source: "--set", values: { epochs: "3" } }],
  inputs: {},
  outputs: { out_dir: "results" },
  backend: "local",
  cwd: "/project",
  ...over,
});
const fixed = { now: new Date("2026-01-02T03:04:05Z"), random: () => 0.5 };
const ctx = { runsDir: "/runs", libs: ["/libs/aves2_runtime"] };

describe("resolve → plan", () => {
  it("resolves a complete spec with a DNS-safe run id", () => {
    const spec = resolveRun(component, request(), fixed);
    expect(spec.runId).toBe("tiny-20260102-030405-ssss");
    expect(spec.runId).toMatch(RUN_ID_RE);
    expect(spec.params.map((p) => [p.name, p.value])).toEqual([
      ["epochs", 3],
      ["note", "a b; $(echo hi)"],
    ]);
    expect(spec.inputs).toEqual([{ name: "data_dir", uri: { scheme: "file", path: `${dir}/data` }, from: "default" }]);
    expect(spec.outputs).toEqual([{ name: "out_dir", uri: { scheme: "file", path: "/project/results" } }]);
  });

  it("is pure: same input, same plan; nothing mutated; results frozen", () => {
    const req = request();
    const before = JSON.stringify(req);
    const a = planLocal(resolveRun(component, req, fixed), ctx);
    const b = planLocal(resolveRun(component, req, fixed), ctx);
    expect(a).toEqual(b);
    expect(JSON.stringify(req)).toBe(before);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.processes[0]!.argv)).toBe(true);
    expect(() => (a.processes[0]!.argv as string[]).push("x")).toThrow();
  });

  it("builds the argv of the process contract, values as data", () => {
    const plan = planLocal(resolveRun(component, request(), fixed), ctx);
    const run = "/runs/tiny-20260102-030405-ssss";
    expect(plan.processes).toEqual([
      {
        replica: "worker-0",
        argv: ["python3", "train.py", "--epochs", "3", "--note", "a b; $(echo hi)", "--data_dir", `${run}/data/data_dir`, "--out_dir", `${run}/output/out_dir`],
        cwd: `${run}/src`,
        env: { AVES2_RUN_ID: "tiny-20260102-030405-ssss", PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      },
    ]);
    expect(plan.python?.modules).toEqual(["json"]);
    expect(plan.code).toEqual({ from: `${dir}/src`, to: `${run}/src`, libs: ["/libs/aves2_runtime"], stage: "copy" });
  });

  it("plans N ranks for PYTORCH_DDP", () => {
    const plan = planLocal(resolveRun(component, request({ distribute: "PYTORCH_DDP", workers: 3 }), fixed), ctx);
    expect(plan.processes.map((p) => [p.replica, p.env.RANK, p.env.WORLD_SIZE, p.env.MASTER_PORT])).toEqual([
      ["worker-0", "0", "3", "auto"],
      ["worker-1", "1", "3", "auto"],
      ["worker-2", "2", "3", "auto"],
    ]);
  });

  it("stages s3:// inputs, and rejects what the local backend cannot reach", () => {
    const ok = planLocal(resolveRun(component, request({ inputs: { data_dir: "s3://bucket/data/" } }), fixed), ctx);
    expect(ok.inputs.find((i) => i.name === "data_dir")).toMatchObject({ uri: "s3://bucket/data/", stage: "download" });
    const spec = resolveRun(component, request({ inputs: { data_dir: "s3://bucket/data/", extra_dir: "pvc://claim/x" } }), fixed);
    try {
      planLocal(spec, ctx);
      expect.unreachable();
    } catch (e) {
      expect((e as UserError).problems.map((p) => p.path)).toEqual(["--input extra_dir"]);
    }
  });

  it("lets the launcher's pure check add problems", () => {
    expect(() =>
      resolveRun(component, request(), { ...fixed, check: (s) => (s.params[0]!.value === 3 ? [{ path: "epochs", message: "three is unlucky" }] : []) }),
    ).toThrow("epochs: three is unlucky");
  });
});
