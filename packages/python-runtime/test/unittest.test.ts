import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findPython } from "@aves2/core";
import { expect, it } from "vitest";

const pkg = fileURLToPath(new URL("..", import.meta.url));

it("aves2_runtime's Python unit tests pass", async () => {
  const explicit = process.env.AVES2_PYTHON ? { value: process.env.AVES2_PYTHON, source: "AVES2_PYTHON" } : undefined;
  const python = await findPython({ modules: ["numpy", "torch", "sklearn"], packages: { numpy: "python3-numpy", torch: "python3-torch", sklearn: "python3-sklearn" } }, explicit);
  const r = spawnSync(python.path, ["-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v"], { cwd: pkg, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^Ran \d+ tests? in/m);
  expect(r.stderr).toMatch(/^OK/m);
}, 300_000); // a hang guard: 8 s alone, several times that beside the other packages' suites on 2 cores
