import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { foreignRecord, newRunRecord, RECORD_VERSION } from "../src/records/record.js";
import { readRecordAt, readRecords, RECORD_FILE, writeRecord } from "../src/records/run-store.js";

const spec = {
  runId: "echo-20260301-100000-aaaa",
  name: "Echo",
  component: { name: "echo", version: "1.0.0", dir: "/c/echo" },
  params: {},
  inputs: {},
  outputs: {},
  code: "/c/echo/src",
  resources: { worker: { count: 1, cpu: 1, mem: 1, gpu: 0 } },
  distribute: "none" as const,
  createdAt: "2026-03-01T10:00:00.000Z",
};

describe("run records", () => {
  it("are written with the format's version, and read back as written", () => {
    const runsDir = tempDir("records-");
    const dir = join(runsDir, spec.runId);
    mkdirSync(dir);
    const record = newRunRecord({ backend: "local", runId: spec.runId, spec }, { replicas: ["worker-0"] });
    expect(record.schemaVersion).toBe(RECORD_VERSION);
    writeRecord(dir, record);
    expect(JSON.parse(readFileSync(join(dir, RECORD_FILE), "utf8")).schemaVersion).toBe(1);
    expect(readRecordAt(dir)).toEqual(record);
  });

  it("reads records written before the format had a version as version 1", () => {
    const runsDir = tempDir("records-");
    const dir = join(runsDir, spec.runId);
    mkdirSync(dir);
    const old = { runId: spec.runId, backend: "aves2", component: { name: "echo", version: "1.0.0" }, state: "succeeded", createdAt: spec.createdAt, metrics: { epochs: [] }, transfers: [], spec, plan: { backend: "aves2", runId: spec.runId, spec }, details: { jobId: 7 } };
    writeFileSync(join(dir, RECORD_FILE), JSON.stringify(old));
    expect(readRecordAt(dir)).toEqual({ schemaVersion: 1, ...old });
    expect(readRecords(runsDir, "aves2").map((r) => r.runId)).toEqual([spec.runId]);
    expect(readRecords(runsDir, "local")).toEqual([]);
  });

  it("a run found on a server with no record here gets a record of its names and times only", () => {
    const r = foreignRecord({ runId: "42", backend: "aves2", name: "job 42", component: { name: "job 42", version: "" }, createdAt: "", workers: 0, state: "running", details: { jobId: 42 } });
    expect(r).toMatchObject({ schemaVersion: 1, runId: "42", backend: "aves2", state: "running", plan: { backend: "aves2", runId: "42" }, spec: { name: "job 42", params: {}, distribute: "none" } });
  });
});
