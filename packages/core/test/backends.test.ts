import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { KubernetesBackend } from "../src/backends/kubernetes/index.js";
import type { ClusterTarget } from "../src/backends/kubernetes/plan.js";
import { parseOptions } from "../src/backends/options.js";
import { backendDeclarations, backendNamed, backendOptions, isRemoteBackend } from "../src/backends/registry.js";
import { UserError } from "../src/errors.js";
import { loadComponent } from "../src/manifest/load.js";
import { resolveRun } from "../src/run/spec.js";

const tiny = loadComponent(fileURLToPath(new URL("./fixtures/tiny", import.meta.url)));

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.message.split("\n");
    throw e;
  }
  return [];
};

describe("the backend registry", () => {
  it("lists each backend with its declared options, by name or alias", () => {
    expect(backendDeclarations().map((d) => d.name)).toEqual(["local", "aves2", "kubernetes"]);
    expect(backendNamed("k8s").name).toBe("kubernetes");
    expect(backendNamed("kubernetes").options.map((o) => o.name)).toEqual(["context", "k8s-engine", "s3-secret", "create-secret", "timeout", "schedule-timeout", "retries", "preflight", "staging-image"]);
    expect(isRemoteBackend("local")).toBe(false);
    expect(isRemoteBackend("aves2")).toBe(true);
    expect(problems(() => backendNamed("slurm"))).toEqual(['--backend: unknown backend "slurm" (available: local, aves2, kubernetes (k8s = kubernetes))']);
  });

  it("parses the options of the backend that runs, and checks every backend's, every problem at once", () => {
    expect(backendOptions("k8s", { timeout: "1h30m", k8sEngine: "auto", preflight: false, retries: "2" })).toEqual({ timeoutSeconds: 5400, preflight: false, retries: 2 });
    expect(backendOptions("aves2", { debugJob: true, timeout: "2h" })).toEqual({ debug: true });
    expect(backendOptions("local", { timeout: "2h" })).toEqual({});
    expect(problems(() => backendOptions("local", { timeout: "5x", s3Secret: "s", createSecret: true }))).toEqual([
      "--create-secret: cannot be combined with --s3-secret (use an existing Secret, or let the run create its own)",
      '--timeout: "5x" is not a duration (e.g. 3600, 90m, 2h, 1h30m, 1d)',
    ]);
  });

  it("declared options without a parser of their own are checked by their type", () => {
    const level = { name: "level", key: "level", type: "integer", help: "" } as const;
    expect(parseOptions([level], { level: "3" })).toEqual({ level: 3 });
    expect(problems(() => parseOptions([level], { level: "x" }))).toEqual(['--level: "x" is not a whole number']);
    expect(parseOptions([{ name: "on", key: "on", type: "boolean", help: "" }], { on: false })).toEqual({});
  });
});

describe("planning is a pure function of spec, target and options", () => {
  const target: ClusterTarget = { namespace: "ml", namespaceFrom: "--namespace", engine: "native", engineWhy: "--k8s-engine", stagingImage: "aves2/component-staging:test", contacted: false };

  it("needs no prepared backend: the same inputs give the same plan, from any instance", () => {
    const spec = resolveRun(tiny, { component: "tiny", params: [], inputs: {}, outputs: {}, backend: "kubernetes", cwd: "/w", image: "python:3.12-slim" }, { now: new Date(Date.UTC(2026, 0, 2)), random: () => 0.5 });
    const a = new KubernetesBackend({ runsDir: "/runs", libs: [], s3: { region: "us-east-1", pathStyle: true } });
    const b = new KubernetesBackend({ runsDir: "/runs", libs: [], s3: { region: "us-east-1", pathStyle: true } });
    const plan = a.plan(spec, target, { timeoutSeconds: 60 });
    expect(plan).toEqual(b.plan(spec, target, { timeoutSeconds: 60 }));
    expect(plan.target).toEqual(target);
    expect(plan.options).toEqual({ timeoutSeconds: 60 });
    expect(a.describe(plan).replicas).toEqual(["worker-0"]);
  });
});
