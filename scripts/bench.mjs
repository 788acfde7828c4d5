#!/usr/bin/env node
// `pnpm bench`: start-up time of the CLI against bare node, and planning throughput.
// `pnpm bench credentials`: how long finding S3 credentials and reaching an endpoint take to give up.
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

/**
 * How long a user waits for the error when there are no S3 credentials or the
 * endpoint is not there (the targets are the bounds the tests once asserted;
 * the tests now check only what the error says). Runs in this process, with a
 * temp HOME and none of this machine's AWS variables, as the tests do.
 */
async function credentials() {
  const { findCredentials, parseUri, storeFor } = await import(`${root}packages/storage/dist/index.js`);
  const { freePort, startSilentServer, tempDir } = await import(`${root}packages/testkit/dist/index.js`);
  const settings = { region: "us-east-1", pathStyle: true, endpoint: "http://127.0.0.1:4568" };
  const silent = await startSilentServer();
  const refused = `http://127.0.0.1:${await freePort()}`;
  const clean = () => {
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_") || k === "AVES2_CLIENT_CONFIG") delete process.env[k];
    process.env.HOME = tempDir("aves2-bench-home-");
  };
  const cases = [
    ["no credentials anywhere (no instance metadata)", 1000, { AWS_EC2_METADATA_DISABLED: "true" }],
    ["container endpoint refusing connections", 5000, { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${refused}/v2/credentials/x` }],
    ["container endpoint that never answers", 8000, { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${silent.url}/v2/credentials/x` }],
    ["instance metadata that never answers", 1600, { AWS_EC2_METADATA_SERVICE_ENDPOINT: silent.url }],
  ];
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const time = async (what, f) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      const failed = await f().then(() => false, () => true);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!failed) throw new Error(`${what}: expected an error, it succeeded`);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  };
  const rows = [];
  for (const [what, target, vars] of cases) {
    const ms = await time(what, () => {
      clean();
      Object.assign(process.env, vars);
      return findCredentials(settings, process.env);
    });
    rows.push([what, ms, target]);
  }
  const input = parseUri("s3://aves2/data/", "bench", "/");
  clean();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "bench-secret" });
  const what = "S3 endpoint refusing connections (input check)";
  rows.push([what, await time(what, () => storeFor(input, "--input x").checkInput(input, "--input x", { s3: { ...settings, endpoint: refused } })), 8000]);
  await silent.stop();
  console.log(`bench credentials: ${runs} runs each, median time to the error, Node ${process.version}`);
  for (const [what, ms, target] of rows) console.log(`| ${what.padEnd(48)} | ${`${ms.toFixed(0)} ms`.padStart(8)} | ${ms <= target ? "✓" : "✗"} ≤ ${target} ms |`);
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
if (suite === "credentials") {
  await credentials();
  process.exit(0);
}
if (suite !== "cli") {
  console.error(`unknown bench suite "${suite}" (available: cli, staging, catalog, gpu, credentials)`);
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
