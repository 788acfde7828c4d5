import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Component, findPython, type RunRecord } from "@aves2/core";
import { REPO, runCli, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import { components, limiter, packageJson } from "./catalog.js";

/**
 * The catalog-wide conformance test: every component's default sample run
 * (its bundled data, the manifest's `sample.set`, inputs from the sample runs
 * its `sample.uses` names) reaches the metric its manifest declares. A new
 * component is tested by adding it.
 */
const catalog = components();
/** Components whose Python modules this machine lacks (TensorFlow ones, here) are skipped, and say so. */
const missing = new Map(
  await Promise.all(
    catalog.map(async (c) => [c.name, c.runtime.python ? await findPython(c.runtime.python).then(() => undefined, (e: Error) => e.message) : undefined] as const),
  ),
);
const runs = tempDir("aves2-samples-");
const slot = limiter(2);
const started = new Map<string, Promise<{ code: number | null; record?: RunRecord; stderr: string }>>();

function sampleRun(c: Component): Promise<{ code: number | null; record?: RunRecord; stderr: string }> {
  const known = started.get(c.name);
  if (known) return known;
  const run = (async () => {
    const inputs: string[] = [];
    for (const [input, ref] of Object.entries(c.sample?.uses ?? {})) {
      const [name, output] = ref.split("/") as [string, string];
      const dep = await sampleRun(catalog.find((d) => d.name === name)!);
      if (!dep.record) throw new Error(`${c.name} uses ${ref}, whose sample run failed: ${dep.stderr}`);
      inputs.push("--input", `${input}=run:${dep.record.runId}/${output}`);
    }
    const sets = Object.entries(c.sample?.set ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
    const r = await slot(() => runCli(["run", c.name, ...sets, ...inputs, "--json"], { env: { AVES2_RUNS_DIR: runs, CI: "1" } }));
    let record: RunRecord | undefined;
    try {
      record = JSON.parse(r.stdout) as RunRecord;
    } catch {
      record = undefined;
    }
    return { code: r.code, stderr: r.stderr, ...(record ? { record } : {}) };
  })();
  started.set(c.name, run);
  return run;
}

describe("the catalog", () => {
  it("declares a sample check for every component", () => {
    expect(catalog.length).toBeGreaterThanOrEqual(24);
    expect(catalog.filter((c) => !c.sample).map((c) => c.name)).toEqual([]);
  });

  it("lists every component as a dev dependency here, so turbo builds its launcher before these tests", () => {
    const deps = Object.keys(packageJson(fileURLToPath(new URL("..", import.meta.url))).devDependencies ?? {});
    const folders = readdirSync(join(REPO, "components"));
    const missing = catalog.filter((c) => !deps.includes(packageJson(c.dir).name)).map((c) => c.name);
    expect(missing, `add them to packages/catalog-tests/package.json (\`component new\` does it): ${missing.join(", ")}`).toEqual([]);
    expect(folders.length).toBeGreaterThanOrEqual(catalog.length);
  });
});

describe("every component's sample run reaches its declared metric", () => {
  beforeAll(() => {
    // all start now, two at a time, in the order their `uses` allow; each test below awaits its own
    for (const c of catalog) if (!missing.get(c.name)) void sampleRun(c).catch(() => undefined);
  });

  for (const c of catalog) {
    it.skipIf(missing.get(c.name))(`${c.name}${missing.get(c.name) ? ` (skipped: ${missing.get(c.name)})` : ""}: ${c.sample ? `${c.sample.metric}${c.sample.min !== undefined ? ` ≥ ${c.sample.min}` : ""}${c.sample.max !== undefined ? ` ≤ ${c.sample.max}` : ""}` : "(no sample)"}`, async () => {
      const r = await sampleRun(c);
      expect(r.code, r.stderr).toBe(0);
      expect(r.record?.state).toBe("succeeded");
      const value = r.record?.metrics.summary?.[c.sample!.metric];
      expect(typeof value, `the summary of ${c.name} has no ${c.sample!.metric}: ${JSON.stringify(r.record?.metrics.summary)}`).toBe("number");
      if (c.sample!.min !== undefined) expect(value).toBeGreaterThanOrEqual(c.sample!.min);
      if (c.sample!.max !== undefined) expect(value).toBeLessThanOrEqual(c.sample!.max);
    }, 240_000);
  }
});
