import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("{{name}}", () => {
  it("has a valid manifest", async () => {
    const r = await runCli(["validate", "{{name}}"], { cwd: here });
    expect(r.stdout + r.stderr).toContain("✓ {{name}}");
    expect(r.code).toBe(0);
  });

  it("trains on the bundled sample data", async () => {
    const out = tempDir();
    const r = await runCli(["run", "{{name}}", "--output", `output_path=${out}`], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(metrics.accuracy).toBeGreaterThan(0.8);
  }, 120_000);

  it("names a target column the data does not have", async () => {
    const r = await runCli(["run", "{{name}}", "--set", "target=lable"], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/target: "lable" is not a column of .*train\.csv \(did you mean "label"\?\)/);
  });
});
