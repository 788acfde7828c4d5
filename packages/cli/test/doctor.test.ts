import { describe, expect, it } from "vitest";
import { runCli } from "./cli.js";

describe("doctor", () => {
  it("reports node, interpreters and what each component runs with", async () => {
    const r = await runCli(["doctor", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.node).toBe(process.version);
    expect(report.interpreters.length).toBeGreaterThan(0);
    expect(report.components).toEqual([expect.objectContaining({ component: "echo", needs: [] })]);
    expect(report.config.runsDir.source).toBe("default");
    expect(report.ok).toBe(true);
  });

  it("fails (exit 1) and says so when the chosen interpreter does not exist", async () => {
    const r = await runCli(["doctor"], { env: { AVES2_PYTHON: "/no/such/python3" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("/no/such/python3 (AVES2_PYTHON)");
    expect(r.stdout).toMatch(/\/no\/such\/python3\s+-\s+not found/);
  });

  it("says where S3 settings and credentials come from, never the keys", async () => {
    const env = { AWS_ACCESS_KEY_ID: "AKIADOCTORTEST", AWS_SECRET_ACCESS_KEY: "doctor-secret-value", AWS_ENDPOINT_URL: "http://127.0.0.1:9000" };
    const r = await runCli(["doctor", "--json"], { env });
    const report = JSON.parse(r.stdout);
    expect(report.s3).toMatchObject({ endpoint: { value: "http://127.0.0.1:9000", source: "AWS_ENDPOINT_URL" }, pathStyle: { value: true }, credentials: { source: "AWS_ACCESS_KEY_ID in the environment" } });
    const text = await runCli(["doctor"], { env });
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr]) {
      expect(out).not.toContain("AKIADOCTORTEST");
      expect(out).not.toContain("doctor-secret-value");
    }
    expect(text.stdout).toContain("s3 credentials: AWS_ACCESS_KEY_ID in the environment");
  });
});
