import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findPython, probePython } from "@aves2/core";
import { runCli, tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL("..", import.meta.url));

describe("{{name}}", () => {
  it("has a valid manifest", async () => {
    const r = await runCli(["validate", "{{name}}"], { cwd: here });
    expect(r.stdout).toContain("✓ {{name}}");
    expect(r.code).toBe(0);
  });

  it("its Python compiles", async () => {
    const python = await findPython({ modules: [], packages: {} });
    const r = spawnSync(python.path, ["-m", "py_compile", join(here, "src/train.py")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });

  it("trains on the sample data where TensorFlow is installed, and says what is missing elsewhere", async () => {
    const python = await findPython({ modules: [], packages: {} });
    const hasTensorFlow = (await probePython(python.path, ["tensorflow"])).missing.length === 0;
    const out = tempDir();
    const r = await runCli(["run", "{{name}}", "--output", `output_path=${out}`], { cwd: here, env: { AVES2_RUNS_DIR: tempDir() } });
    if (hasTensorFlow) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).accuracy).toBeGreaterThan(0.8);
    } else {
      console.log("TensorFlow is not installed here: checking the error a user gets instead of a training run");
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no Python interpreter has the modules this component needs \(tensorflow, numpy\)/);
    }
  }, 300_000);
});
