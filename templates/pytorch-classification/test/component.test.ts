import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("{{name}}", () => {
  it("has a valid manifest", async () => {
    const r = await runCli(["validate", "{{name}}"], { cwd: here });
    expect(r.stdout).toContain("✓ {{name}}");
    expect(r.code).toBe(0);
  });

  it("trains on the bundled sample data", async () => {
    const out = tempDir();
    const r = await runCli(["run", "{{name}}", "--output", `result_dir=${out}`], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).top1).toBeGreaterThan(0.6); // chance: 1/3
  }, 180_000);

  it("trains with 2 DDP workers on loopback", async () => {
    const out = tempDir();
    const r = await runCli(["run", "{{name}}", "--distribute", "PYTORCH_DDP", "--workers", "2", "--output", `result_dir=${out}`], {
      cwd: here,
      env: { AVES2_RUNS_DIR: tempDir() },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("[worker-0]");
    expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).top1).toBeGreaterThan(0.6);
  }, 180_000);

  it("checks num_class against the class folders before starting", async () => {
    const r = await runCli(["run", "{{name}}", "--set", "num_class=5"], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/num_class: is 5 but .* has 3 class folders \(0, 1, 2\) \(--set num_class=3\)/);
  });
});
