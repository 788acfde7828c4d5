import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ParamDef } from "@aves2/core";
import { REPO } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import { components, entryFile, python } from "./catalog.js";

/** What an entry built on aves2_runtime.tabular says it accepts (`--aves2-describe-args`). */
interface Described {
  name: string;
  type: string;
  default: string | number | boolean | null;
  values?: (string | number)[];
  nullable?: boolean;
  min?: number;
  max?: number;
}

const tabular = components().filter((c) => readFileSync(entryFile(c), "utf8").includes("aves2_runtime.tabular"));
let py: string;
beforeAll(async () => {
  py = await python();
});

function described(dir: string, entry: string): Described[] {
  const r = spawnSync(py, [entry, "--aves2-describe-args"], { cwd: dir, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Described[];
}

function asManifest(p: ParamDef): Described {
  return {
    name: p.name,
    type: p.type,
    default: p.default ?? null,
    ...(p.values ? { values: [...p.values] } : {}),
    ...(p.nullable ? { nullable: true } : {}),
    ...(p.min !== undefined ? { min: p.min } : {}),
    ...(p.max !== undefined ? { max: p.max } : {}),
  };
}

describe("manifests declare exactly the args their Python entries accept", () => {
  it("covers the tabular family", () => {
    expect(tabular.filter((c) => c.upstream).length).toBe(23);
  });

  for (const c of tabular) {
    it(c.name, () => {
      const entry = entryFile(c);
      const fromPython = described(c.sourceDir, entry)
        .map(({ description: _d, ...rest }: Described & { description?: string }) => rest)
        .sort((a, b) => a.name.localeCompare(b.name));
      const fromManifest = c.params.map(asManifest).sort((a, b) => a.name.localeCompare(b.name));
      expect(fromManifest).toEqual(fromPython);
      // and the folders: the entry's --data_dir/--model_dir/--output_path are the manifest's inputs and outputs
      const help = spawnSync(py, [entry, "--help"], { cwd: c.sourceDir, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } }).stdout;
      for (const io of [...c.inputs, ...c.outputs]) expect(help).toContain(`--${io.name}`);
      if (c.upstream) {
        // the upstream's entry, so an AVES2 job's `cmd: python3 run.py` stays as it is
        expect(c.command).toEqual(["python3", "run.py"]);
        expect(c.upstream).toMatch(/^ml\/(classification|regression|cluster)\//);
      }
    });
  }
});
