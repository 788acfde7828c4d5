import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import type { RunRecord, RunState } from "../src/records/record.js";
import { writeRecord } from "../src/records/run-store.js";
import { UserError } from "../src/errors.js";
import { loadComponent } from "../src/manifest/load.js";
import type { RunRequest } from "../src/run/request.js";
import { parseRunRef } from "../src/run/run-ref.js";
import { resolveRunRefs } from "../src/run/run-refs.js";
import { inputSourceComments, resolveRun, specToJSON } from "../src/run/spec.js";
import { parseUri } from "@aves2/storage/uri";

interface Recorded {
  runId: string;
  component?: string;
  backend?: string;
  state?: RunState;
  createdAt: string;
  /** Local records: the run's own folders (created when `made`), and where each was saved. */
  local?: { name: string; made?: boolean; uri?: string }[];
  /** Kubernetes / AVES2 records: output name → URI. */
  saved?: Record<string, string>;
  details?: Record<string, unknown>;
}

/** Writes a hand-made run.json, as each backend writes it, and returns the run's folder. */
function record(runsDir: string, r: Recorded): string {
  const runDir = join(runsDir, r.runId);
  mkdirSync(runDir, { recursive: true });
  const backend = r.backend ?? "local";
  const component = r.component ?? r.runId.replace(/-\d{8}-\d{6}-\w+$/, "");
  const localOutputs = (r.local ?? []).map((o) => {
    const dir = join(runDir, "output", o.name);
    if (o.made !== false) mkdirSync(dir, { recursive: true });
    return { name: o.name, dir, ...(o.uri ? { uri: o.uri } : {}) };
  });
  const specOutputs = r.saved ?? Object.fromEntries(localOutputs.flatMap((o) => (o.uri ? [[o.name, o.uri]] : [])));
  const spec = { runId: r.runId, component: { name: component, version: "1.0.0", dir: "/c" }, inputs: {}, outputs: specOutputs, createdAt: r.createdAt };
  const rec = {
    runId: r.runId,
    backend,
    component: { name: component, version: "1.0.0" },
    state: r.state ?? "succeeded",
    createdAt: r.createdAt,
    metrics: { epochs: [] },
    transfers: [],
    spec,
    plan: backend === "local" ? { backend, runId: r.runId, spec, runDir, outputs: localOutputs } : { backend, runId: r.runId, spec },
    details: r.details ?? {},
  } as unknown as RunRecord;
  writeRecord(runDir, rec);
  return runDir;
}

const request = (inputs: Record<string, string>, over: Partial<RunRequest> = {}): RunRequest => ({
  component: "evaluate",
  params: [],
  inputs,
  outputs: {},
  backend: "local",
  cwd: "/work",
  ...over,
});

/** The one-line messages a user would see, as the CLI prints them. */
function errorOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.message.split("\n");
    throw e;
  }
  throw new Error("expected a UserError");
}

const TRAIN = "train-20260301-100000-aaaa";
const TRAIN2 = "train-20260302-100000-bbbb";

describe("run references: syntax", () => {
  it("parses ids, prefixes, latest and <component>@latest", () => {
    expect(parseRunRef("run:train-2026/output_path", "x")).toEqual({ run: { kind: "id", idOrPrefix: "train-2026" }, output: "output_path" });
    expect(parseRunRef(" run:latest/output_path/ ", "x")).toEqual({ run: { kind: "latest" }, output: "output_path" });
    expect(parseRunRef("run:train@latest/output_path", "x")).toEqual({ run: { kind: "component-latest", component: "train" }, output: "output_path" });
  });

  it("refuses malformed references, naming the input", () => {
    for (const bad of ["run:", "run:train", "run:train/", "run:/out", "run:a/b/c", "run:train@1.0.0/out", "run:@latest/out", "run://train/out"]) {
      expect(errorOf(() => parseRunRef(bad, "--input model_dir"))).toEqual([
        `--input model_dir: malformed run reference "${bad.trim()}": expected run:<run-id>/<output> (or run:latest/<output>, run:<component>@latest/<output>; \`component runs\` lists the runs)`,
      ]);
    }
  });

  it("parseUri refuses a reference that reached it unresolved, instead of reading it as a relative path", () => {
    expect(errorOf(() => parseUri("run:train/out", "--output result_dir", "/work"))).toEqual([
      '--output result_dir: run reference "run:train/out" is not resolved here (only --input takes one: --input <name>=run:<run-id>/<output>)',
    ]);
  });
});

describe("resolveRunRefs", () => {
  it("binds a local run's output folder for a local run, and records where it came from; the request is not changed", () => {
    const runs = tempDir("aves2-refs-");
    const dir = record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }] });
    const req = request({ model_dir: `run:${TRAIN}/output_path`, data_dir: "./data" });
    const before = JSON.stringify(req);
    const out = resolveRunRefs(req, { runsDir: runs, backend: "local", component: "evaluate" });
    expect(out.inputs).toEqual({ model_dir: join(dir, "output", "output_path"), data_dir: "./data" });
    expect(out.inputSources).toEqual({ model_dir: `run:${TRAIN}/output_path` });
    expect(JSON.stringify(req)).toBe(before);
    expect(out).not.toBe(req);
  });

  it("returns the request itself when no input names a run", () => {
    const req = request({ data_dir: "./data" });
    expect(resolveRunRefs(req, { runsDir: "/no/such/runs", backend: "local" })).toBe(req);
  });

  it("takes a unique prefix of a run id; an ambiguous one is an error listing the runs", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://models/a/" }] });
    record(runs, { runId: TRAIN2, createdAt: "2026-03-02T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://models/b/" }] });
    const out = resolveRunRefs(request({ model_dir: "run:train-20260302/output_path" }), { runsDir: runs, backend: "aves2" });
    expect(out.inputs.model_dir).toBe("s3://models/b/");
    expect(out.inputSources).toEqual({ model_dir: `run:${TRAIN2}/output_path` });
    const [ambiguous, ...rest] = errorOf(() => resolveRunRefs(request({ model_dir: "run:train-2026/output_path" }), { runsDir: runs, backend: "local" }));
    expect(rest).toEqual([]);
    expect([`${TRAIN}, ${TRAIN2}`, `${TRAIN2}, ${TRAIN}`].map((ids) => `--input model_dir: "train-2026" matches 2 runs (be more specific: ${ids})`)).toContain(ambiguous);
  });

  it("locally: the run's folder while it exists, else the URI it was saved to", () => {
    const runs = tempDir("aves2-refs-");
    const dir = record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://models/rf/" }] });
    record(runs, { runId: TRAIN2, createdAt: "2026-03-02T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://models/rf2/", made: false }] });
    const opts = { runsDir: runs, backend: "local" };
    expect(resolveRunRefs(request({ model_dir: `run:${TRAIN}/output_path` }), opts).inputs.model_dir).toBe(join(dir, "output", "output_path"));
    expect(resolveRunRefs(request({ model_dir: `run:${TRAIN2}/output_path` }), opts).inputs.model_dir).toBe("s3://models/rf2/");
  });

  it("locally: an output folder that is gone and was saved nowhere else is an error", () => {
    const runs = tempDir("aves2-refs-");
    const dir = record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", made: false }] });
    expect(errorOf(() => resolveRunRefs(request({ model_dir: `run:${TRAIN}/output_path` }), { runsDir: runs, backend: "local" }))).toEqual([
      `--input model_dir: output output_path of run ${TRAIN} is no longer on this machine (${join(dir, "output", "output_path")}) and was saved nowhere else (run train again)`,
    ]);
  });

  it("on Kubernetes and AVES2: the storage URI, never a folder here; an output kept only here is an error with the fix", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://models/rf/" }] });
    const only = record(runs, { runId: TRAIN2, createdAt: "2026-03-02T10:00:00.000Z", local: [{ name: "output_path" }] });
    record(runs, { runId: "train-20260303-100000-cccc", createdAt: "2026-03-03T10:00:00.000Z", local: [{ name: "output_path", uri: "/tmp/models/rf" }] });
    for (const backend of ["kubernetes", "aves2"]) {
      expect(resolveRunRefs(request({ model_dir: `run:${TRAIN}/output_path` }), { runsDir: runs, backend }).inputs.model_dir).toBe("s3://models/rf/");
    }
    const folder = join(only, "output", "output_path");
    expect(errorOf(() => resolveRunRefs(request({ model_dir: `run:${TRAIN2}/output_path` }), { runsDir: runs, backend: "kubernetes" }))).toEqual([
      `--input model_dir: output output_path of run ${TRAIN2} was kept only on this machine (${folder}), where a kubernetes job cannot read it (run train again with --output output_path=s3://<bucket>/<prefix>/, or upload it with \`component storage sync ${folder} s3://<bucket>/<prefix>/\` and pass --input model_dir=s3://<bucket>/<prefix>/)`,
    ]);
    // a local path given as --output is still this machine
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:train-20260303/output_path" }), { runsDir: runs, backend: "aves2" }))[0]).toBe(
      "--input model_dir: output output_path of run train-20260303-100000-cccc was kept only on this machine (/tmp/models/rf), where an AVES2 job cannot read it (run train again with --output output_path=s3://<bucket>/<prefix>/, or upload it with `component storage sync /tmp/models/rf s3://<bucket>/<prefix>/` and pass --input model_dir=s3://<bucket>/<prefix>/)",
    );
  });

  it("reads Kubernetes and AVES2 records (spec.outputs only), for any backend", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: "train-20260301-100000-k8sa", backend: "kubernetes", createdAt: "2026-03-01T10:00:00.000Z", saved: { output_path: "pvc://models/rf/" } });
    record(runs, { runId: "train-20260302-100000-avsa", backend: "aves2", createdAt: "2026-03-02T10:00:00.000Z", saved: { output_path: "s3://models/aves2/" }, details: { jobId: 7 } });
    expect(resolveRunRefs(request({ m: "run:train-20260301-100000-k8sa/output_path" }), { runsDir: runs, backend: "kubernetes" }).inputs.m).toBe("pvc://models/rf/");
    expect(resolveRunRefs(request({ m: "run:train-20260302-100000-avsa/output_path" }), { runsDir: runs, backend: "local" }).inputs.m).toBe("s3://models/aves2/");
  });

  it("refuses a run that did not succeed", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: "train-20260301-100000-fail", state: "failed", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }] });
    record(runs, { runId: "train-20260301-100000-canc", state: "canceled", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }] });
    record(runs, { runId: "train-20260301-100000-live", state: "running", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }], details: { supervisorPid: process.pid } });
    // its supervisor is gone: the run failed, whatever the record last said
    record(runs, { runId: "train-20260301-100000-dead", state: "running", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }], details: { supervisorPid: 99_999_999 } });
    record(runs, { runId: "train-20260301-100000-k8sr", backend: "kubernetes", state: "running", createdAt: "2026-03-01T10:00:00.000Z", saved: { output_path: "s3://m/x/" } });
    const messages = errorOf(() =>
      resolveRunRefs(
        request({
          a: "run:train-20260301-100000-fail/output_path",
          b: "run:train-20260301-100000-canc/output_path",
          c: "run:train-20260301-100000-live/output_path",
          d: "run:train-20260301-100000-dead/output_path",
          e: "run:train-20260301-100000-k8sr/output_path",
        }),
        { runsDir: runs, backend: "local" },
      ),
    );
    expect(messages).toEqual([
      "--input a: run train-20260301-100000-fail failed: its outputs may be partial (use a succeeded run; `component runs` lists them)",
      "--input b: run train-20260301-100000-canc was canceled: its outputs may be partial (use a succeeded run; `component runs` lists them)",
      "--input c: run train-20260301-100000-live is still running: its outputs are not complete yet (wait for it to succeed)",
      "--input d: run train-20260301-100000-dead failed: its outputs may be partial (use a succeeded run; `component runs` lists them)",
      "--input e: run train-20260301-100000-k8sr is still running: its outputs are not complete yet (wait for it to succeed; `component status train-20260301-100000-k8sr` updates its record)",
    ]);
  });

  it("an unknown run, an unknown output (did you mean), each about its input", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }, { name: "checkpoint_dir" }] });
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:nope/output_path" }), { runsDir: runs, backend: "local" }))).toEqual([
      '--input model_dir: no run "nope" (`component runs` lists them)',
    ]);
    expect(errorOf(() => resolveRunRefs(request({ model_dir: `run:${TRAIN}/output_pth` }), { runsDir: runs, backend: "local" }))).toEqual([
      `--input model_dir: run ${TRAIN} has no output "output_pth" (did you mean "output_path"?)`,
    ]);
    expect(errorOf(() => resolveRunRefs(request({ model_dir: `run:${TRAIN}/zzz` }), { runsDir: runs, backend: "local" }))).toEqual([
      `--input model_dir: run ${TRAIN} has no output "zzz" (its outputs: output_path, checkpoint_dir)`,
    ]);
  });

  it("run:latest is the newest succeeded run with that output, not counting the component's own runs", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: "train-20260301-100000-old1", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/old/" }] });
    record(runs, { runId: "train-20260302-100000-new1", createdAt: "2026-03-02T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/new/" }] });
    record(runs, { runId: "train-20260303-100000-fail", state: "failed", createdAt: "2026-03-03T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/failed/" }] });
    record(runs, { runId: "other-20260304-100000-xxxx", createdAt: "2026-03-04T10:00:00.000Z", local: [{ name: "result_dir", uri: "s3://m/other/" }] });
    record(runs, { runId: "evaluate-20260305-100000-self", createdAt: "2026-03-05T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/self/" }] });
    const out = resolveRunRefs(request({ model_dir: "run:latest/output_path" }), { runsDir: runs, backend: "aves2", component: "evaluate" });
    expect(out.inputs.model_dir).toBe("s3://m/new/");
    expect(out.inputSources).toEqual({ model_dir: "run:train-20260302-100000-new1/output_path" });
    // another component's run counts
    expect(resolveRunRefs(request({ model_dir: "run:latest/output_path" }), { runsDir: runs, backend: "aves2", component: "report" }).inputs.model_dir).toBe("s3://m/self/");
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:latest/output_pat" }), { runsDir: runs, backend: "aves2", component: "evaluate" }))).toEqual([
      '--input model_dir: no succeeded run has an output "output_pat" (runs of evaluate itself are not counted) (did you mean "output_path"?)',
    ]);
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:latest/model" }), { runsDir: tempDir("aves2-empty-"), backend: "local", component: "evaluate" }))).toEqual([
      '--input model_dir: no succeeded run has an output "model" (runs of evaluate itself are not counted) (`component runs` lists them)',
    ]);
  });

  it("run:<component>@latest is the newest succeeded run of that component", () => {
    const runs = tempDir("aves2-refs-");
    record(runs, { runId: "train-20260301-100000-old1", createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/old/" }] });
    record(runs, { runId: "train-20260302-100000-new1", createdAt: "2026-03-02T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/new/" }] });
    record(runs, { runId: "train-20260303-100000-fail", state: "failed", createdAt: "2026-03-03T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/failed/" }] });
    record(runs, { runId: "boost-20260304-100000-xxxx", createdAt: "2026-03-04T10:00:00.000Z", local: [{ name: "output_path", uri: "s3://m/boost/" }] });
    const opts = { runsDir: runs, backend: "kubernetes", component: "evaluate" };
    expect(resolveRunRefs(request({ model_dir: "run:train@latest/output_path" }), opts).inputs.model_dir).toBe("s3://m/new/");
    expect(resolveRunRefs(request({ model_dir: "run:boost@latest/output_path" }), opts).inputSources).toEqual({ model_dir: "run:boost-20260304-100000-xxxx/output_path" });
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:trian@latest/output_path" }), opts))).toEqual([
      '--input model_dir: no succeeded run of trian (did you mean "train"?)',
    ]);
    expect(errorOf(() => resolveRunRefs(request({ model_dir: "run:train@latest/out" }), opts))).toEqual([
      '--input model_dir: run train-20260302-100000-new1 has no output "out" (did you mean "output_path"?)',
    ]);
  });

  it("resolve then binds the input with its provenance, which the spec's JSON and render's comments show", () => {
    const runs = tempDir("aves2-refs-");
    const dir = record(runs, { runId: TRAIN, createdAt: "2026-03-01T10:00:00.000Z", local: [{ name: "output_path" }] });
    const tiny = loadComponent(fileURLToPath(new URL("./fixtures/tiny", import.meta.url)));
    const req = resolveRunRefs(request({ extra_dir: `run:${TRAIN}/output_path` }, { component: "tiny" }), { runsDir: runs, backend: "local", component: "tiny" });
    const spec = resolveRun(tiny, req);
    const folder = join(dir, "output", "output_path");
    expect(spec.inputs.find((i) => i.name === "extra_dir")).toEqual({ name: "extra_dir", uri: { scheme: "file", path: folder }, from: `run:${TRAIN}/output_path` });
    expect(spec.inputs.find((i) => i.name === "data_dir")?.from).toBe("default");
    const json = specToJSON(spec);
    expect(json.inputSources).toEqual({ extra_dir: `run:${TRAIN}/output_path` });
    expect(inputSourceComments(json)).toEqual([`# input extra_dir: ${folder} (from run:${TRAIN}/output_path)`]);
    expect("inputSources" in specToJSON(resolveRun(tiny, request({}, { component: "tiny" })))).toBe(false);
  });
});
