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
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
    expect(result.accuracy).toBeGreaterThan(0.8);
    expect(result.per_class).toHaveLength(3);
    const record = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    expect(record).toEqual(expect.objectContaining({ task: "classification", target: "label", classes: ["setosa", "versicolor", "virginica"] }));
  }, 120_000);

  it("names a target column the data does not have", async () => {
    const r = await runCli(["run", "{{name}}", "--set", "target=lable"], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/train\.csv:1: has no column "lable" \(did you mean "label"\?\)/);
  });
});
