// `pnpm bench catalog`: what the tabular family costs.
//  - each component's sample run through the CLI (what `pnpm test` pays per component), against its
//    Python entry alone on the same argv, and the fit itself;
//  - all sample runs two at a time (the conformance test's schedule) against the 60 s the family may add;
//  - reading a large CSV: the TS preflight and the Python reader (pure Python, every rule of TABLES.md,
//    line numbers for problems), with pandas.read_csv (C, no checks) for scale.
// A benchmark, not a test: it prints tables and whether each target is met.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "packages/cli/dist/bin.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const core = await import(join(root, "packages/core/dist/index.js"));
const python = (await core.findPython({ modules: ["sklearn", "pandas"], packages: {} })).path;
const tabular = core
  .loadCatalog(root)
  .map((e) => e.component)
  .filter((c) => c?.framework === "sklearn");
const byName = new Map(tabular.map((c) => [c.name, c]));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (f) => {
  const t = process.hrtime.bigint();
  const r = f();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
};

function cli(args, runsDir) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, AVES2_RUNS_DIR: runsDir, CI: "1", NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`component ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The sample runs, once each, in `uses` order: run ids to chain, the CLI's wall time, the entry's argv. */
function sampleRuns(runsDir) {
  const done = new Map();
  const run = (c) => {
    if (done.has(c.name)) return done.get(c.name);
    const inputs = Object.entries(c.sample?.uses ?? {}).flatMap(([input, ref]) => {
      const [name, output] = ref.split("/");
      return ["--input", `${input}=run:${run(byName.get(name)).record.runId}/${output}`];
    });
    const { ms: wall, r: record } = ms(() => cli(["run", c.name, ...inputs, "--json"], runsDir));
    const result = { wall, record, argv: record.plan.processes[0].argv, cwd: record.plan.processes[0].cwd };
    done.set(c.name, result);
    return result;
  };
  for (const c of tabular) run(c);
  return done;
}

// --- per component --------------------------------------------------------
const rows = [];
const walls = new Map(tabular.map((c) => [c.name, []]));
const entries = new Map(tabular.map((c) => [c.name, []]));
let last;
for (let i = 0; i < RUNS; i++) {
  const runsDir = mkdtempSync(join(tmpdir(), "aves2-bench-catalog-"));
  last = sampleRuns(runsDir);
  for (const [name, s] of last) {
    walls.get(name).push(s.wall);
    // the entry alone, on the argv the run gave it, in its staged folder (outputs rewritten there)
    const out = mkdtempSync(join(tmpdir(), "aves2-bench-entry-"));
    const argv = s.argv.slice(1).map((a, j, all) => (all[j - 1] === "--output_path" ? out : a));
    const { ms: t, r } = ms(() => spawnSync(python, argv, { cwd: s.cwd, encoding: "utf8" }));
    if (r.status !== 0) throw new Error(`${name} entry: ${r.stderr}`);
    entries.get(name).push(t);
    rmSync(out, { recursive: true, force: true });
  }
}
for (const c of tabular) {
  const s = last.get(c.name);
  const fit = s.record.metrics.summary?.fit_seconds;
  const wall = median(walls.get(c.name));
  const entry = median(entries.get(c.name));
  rows.push([c.name, `${wall.toFixed(0)} ms`, `${entry.toFixed(0)} ms`, `${(wall - entry).toFixed(0)} ms`, fit === undefined ? "-" : `${(fit * 1000).toFixed(0)} ms`]);
}
const sumWall = tabular.reduce((a, c) => a + median(walls.get(c.name)), 0);

// --- all of them, two at a time (the conformance test) --------------------
const catalogTests = join(root, "packages/catalog-tests");
const { ms: suite } = ms(() => {
  const r = spawnSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/sample-runs.test.ts", "-t", "sample run|the catalog"], {
    cwd: catalogTests,
    encoding: "utf8",
    env: { ...process.env, CI: "1", NO_COLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`sample-runs.test.ts: ${r.stdout}${r.stderr}`);
});

// --- a large CSV ------------------------------------------------------------
const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), "aves2-bench-csv-"));
const colours = ["red", "green", "blue", "", "purple"];
let text = "a,b,c,d,e,f,g,colour,label\n";
for (let i = 0; i < ROWS; i++) text += `${i % 97},${(i * 7) % 13}.5,${i % 5 ? i / 3 : "NA"},${i},${-i},${i % 11},${i % 3}.25,${colours[i % 5]},${i % 2 ? "yes" : "no"}\n`;
writeFileSync(join(dir, "train.csv"), text);
const mb = Buffer.byteLength(text) / 1e6;
const preflight = median(
  await Promise.all(
    [0, 1, 2].map(async () => {
      const t = process.hrtime.bigint();
      const r = await core.readTable({ dir, files: ["train.csv"], task: "classification" });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return Number(process.hrtime.bigint() - t) / 1e6;
    }),
  ),
);
const py = (code) => {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(python, ["-c", code], { cwd: join(root, "packages/python-runtime"), encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    times.push(Number(r.stdout.trim()));
  }
  return median(times);
};
const path = JSON.stringify(join(dir, "train.csv"));
const ours = py(`import time; t=time.perf_counter(); from aves2_runtime.tables import read_table; tb=read_table(${path}, "classification"); tb.feature_matrix(); tb.labels(); print((time.perf_counter()-t)*1000)`);
const pandas = py(`import time; t=time.perf_counter(); import pandas as pd; df=pd.read_csv(${path}); print((time.perf_counter()-t)*1000)`);
rmSync(dir, { recursive: true, force: true });

// --- report ------------------------------------------------------------------
function table(head, body) {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  return [line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
console.log(`bench catalog: ${RUNS} runs each, median wall time, ${tabular.length} tabular components, Node ${process.version}, Python ${python}, ${new Date().toISOString()}`);
console.log(table(["sample run", "component run", "entry alone", "CLI + staging", "fit"], rows));
console.log();
const budget = 60_000;
console.log(
  table(
    ["what", "time", "target"],
    [
      ["the sample runs one after another", `${(sumWall / 1000).toFixed(1)} s`, ""],
      ["the conformance test (2 at a time, + mobilenet-v2 1 epoch)", `${(suite / 1000).toFixed(1)} s`, suite <= budget ? "≤ 60 s ✓" : "≤ 60 s ✗"],
      [`TS preflight, ${ROWS.toLocaleString("en")} rows (${mb.toFixed(1)} MB)`, `${preflight.toFixed(0)} ms`, preflight <= (ROWS / 100_000) * 1000 ? "≤ 1 s per 100k rows ✓" : "≤ 1 s per 100k rows ✗"],
      [`Python reader + matrix, ${ROWS.toLocaleString("en")} rows`, `${ours.toFixed(0)} ms`, ours <= (ROWS / 100_000) * 1000 ? "≤ 1 s per 100k rows ✓" : "≤ 1 s per 100k rows ✗"],
      [`pandas.read_csv (import included; no checks), ${ROWS.toLocaleString("en")} rows`, `${pandas.toFixed(0)} ms`, `ours: ${(ours / pandas).toFixed(1)}×`],
    ],
  ),
);
