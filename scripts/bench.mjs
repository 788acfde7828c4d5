#!/usr/bin/env node
// `pnpm bench`: start-up time of the CLI against bare node, and planning throughput.
// A benchmark, not a test: it prints a table and whether each target is met.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}packages/cli/dist/bin.js`;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function wall(args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } });
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0] };
}

async function plansPerSecond(n) {
  const core = await import(`${root}packages/core/dist/index.js`);
  const config = core.loadConfig(root);
  const component = core.findComponent(root, "mobilenet-v2");
  const backend = core.createBackend("local", { config, libs: [`${root}packages/python-runtime/aves2_runtime`] });
  const request = core.requestFromFlags("mobilenet-v2", { set: ["epochs=3", "lr=0.01"] }, root, "local");
  for (let i = 0; i < 100; i++) backend.plan(core.resolveRun(component, request)); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) backend.plan(core.resolveRun(component, request));
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return n / s;
}

const suite = process.argv[2] ?? "cli";
if (suite === "staging" || suite === "catalog") {
  await import(`./bench-${suite}.mjs`);
  process.exit(0);
}
if (suite === "gpu") {
  // the GPU machine has no Node: the benchmark is Python, run the same way there (python3 scripts/bench_gpu.py)
  const { findPython } = await import(`${root}packages/core/dist/index.js`);
  const python = await findPython({ modules: ["torch", "torchvision", "PIL"], packages: { torch: "python3-torch", torchvision: "python3-torchvision", PIL: "python3-pil" } });
  const r = spawnSync(python.path, [`${root}scripts/bench_gpu.py`], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
if (suite !== "cli") {
  console.error(`unknown bench suite "${suite}" (available: cli, staging, catalog, gpu)`);
  process.exit(2);
}

wall(["-e", "0"]); // warm the file cache
const node = wall(["-e", "0"]);
const list = wall([bin, "list"]);
const help = wall([bin, "--help"]);
// no target in the issues: tracked so that schema validation stays precompiled (it was ~1 s compiled per start)
const renderK8s = wall([bin, "render", "mobilenet-v2", "--backend", "kubernetes"]);
const plans = await plansPerSecond(1000);

const rows = [
  ["node -e 0 (baseline)", `${node.median.toFixed(0)} ms`, "", ""],
  ["component list", `${list.median.toFixed(0)} ms`, `${(list.median / node.median).toFixed(2)}× node`, list.median <= 2.5 * node.median ? "≤ 2.5× ✓" : "≤ 2.5× ✗"],
  ["component --help", `${help.median.toFixed(0)} ms`, `${(help.median / node.median).toFixed(2)}× node`, help.median <= 2.5 * node.median ? "≤ 2.5× ✓" : "≤ 2.5× ✗"],
  ["render mobilenet-v2 -b k8s", `${renderK8s.median.toFixed(0)} ms`, `${(renderK8s.median / node.median).toFixed(2)}× node`, ""],
  ["resolve + plan (1000 runs)", `${Math.round(plans)} plans/s`, "", plans >= 2000 ? "≥ 2000/s ✓" : "≥ 2000/s ✗"],
];
const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ["what", "median", "ratio", "target"][i].length));
const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
console.log(`bench: ${RUNS} runs each, median wall time, Node ${process.version}, ${new Date().toISOString()}`);
console.log(line(["what", "median", "ratio", "target"]));
console.log(`|${w.map((n) => "-".repeat(n + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
