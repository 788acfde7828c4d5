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
});
