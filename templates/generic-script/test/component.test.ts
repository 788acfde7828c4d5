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

  it("runs on the bundled sample data, values passed literally", async () => {
    const out = tempDir();
    const message = "it's a $(test); with -n";
    const r = await runCli(["run", "{{name}}", "--set", `message=${message}`, "--output", `output_dir=${out}`], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("step 3/3");
    expect(r.stdout).toContain("metrics: files=1");
    expect(readFileSync(join(out, "result.txt"), "utf8")).toBe(`${message}\nfiles: 1\n`);
  });
});
