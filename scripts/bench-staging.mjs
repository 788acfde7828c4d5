// `pnpm bench staging`: our staging engine (through `component storage sync`,
// the same engine runs stage with) against `aws s3 sync` and `rclone copy`,
// uploading (stage-out) and downloading (stage-in) 2000 files of 16 KB and one
// 512 MB file, all against one local s3rver. Every tool runs with its defaults,
// as a user would call it. A benchmark, not a test: it prints one table and
// whether each target is met (≥ 2× aws on the small files, ≥ aws on the large one).
//
// BENCH_SMALL_FILES, BENCH_LARGE_MB: smaller sizes for a quick look; BENCH_REPEAT
// (default 3): runs of each, the median is reported.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}packages/cli/dist/bin.js`;
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 2000);
const SMALL_KB = 16;
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 512);
const MB = 1024 * 1024;

const { startS3Server } = await import(`${root}packages/testkit/dist/index.js`);

/** The first of these that runs, or undefined. Debian's /usr/bin first: a pyenv shim may be a different aws-cli. */
function findTool(candidates, versionArgs) {
  for (const c of candidates) {
    const r = spawnSync(c, versionArgs, { encoding: "utf8" });
    if (r.status === 0) return { path: c, version: `${r.stdout}${r.stderr}`.trim().split("\n")[0] };
  }
  return undefined;
}

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const merged = { ...process.env, ...env };
    for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
    const child = spawn(cmd, args, { env: merged, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => {
      err = (err + d).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err.trim()}`));
      else resolve(seconds);
    });
  });
}

function makeData(base) {
  const small = join(base, "small");
  for (let i = 0; i < SMALL_FILES; i++) {
    const dir = join(small, `class-${i % 20}`);
    if (i < 20) mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, `f-${i}.bin`), "w");
    writeSync(fd, randomBytes(SMALL_KB * 1024));
    closeSync(fd);
  }
  const large = join(base, "large");
  mkdirSync(large, { recursive: true });
  const fd = openSync(join(large, "weights.bin"), "w");
  const block = randomBytes(8 * MB);
  for (let i = 0; i < LARGE_MB / 8; i++) {
    block.writeUInt32LE(i, 0); // no two blocks alike
    writeSync(fd, block);
  }
  closeSync(fd);
  return { small, large };
}

async function md5(file) {
  const h = createHash("md5");
  for await (const c of createReadStream(file, { highWaterMark: 4 * MB })) h.update(c);
  return h.digest("hex");
}

/** Relative path → size, and the MD5 of each file, to check that every tool got every byte. */
async function tree(dir) {
  const out = new Map();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(p.slice(dir.length + 1), `${statSync(p).size}:${await md5(p)}`);
  }
  return out;
}

const work = join(tmpdir(), `aves2-bench-staging-${process.pid}`);
mkdirSync(work, { recursive: true });
const server = await startS3Server({ buckets: ["bench"], dir: join(work, "s3rver") });
const env = server.env();
const endpoint = server.endpoint;

const aws = findTool(["/usr/bin/aws", "aws"], ["--version"]);
const rclone = findTool(["/usr/bin/rclone", "rclone"], ["version"]);
// rclone reads a remote named "s3" from these variables: no config file
const rcloneEnv = {
  RCLONE_CONFIG_S3_TYPE: "s3",
  RCLONE_CONFIG_S3_PROVIDER: "Other",
  RCLONE_CONFIG_S3_ENDPOINT: endpoint,
  RCLONE_CONFIG_S3_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
  RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
  RCLONE_CONFIG_S3_REGION: "us-east-1",
  RCLONE_CONFIG_S3_FORCE_PATH_STYLE: "true",
  // rclone 1.60 cannot load a CA bundle into its own transport, and the endpoint is plain http anyway
  AWS_CA_BUNDLE: null,
};

const tools = [
  {
    name: "aves2 storage sync",
    up: (dir, prefix) => run(process.execPath, [bin, "storage", "sync", dir, `s3://bench/${prefix}/`], env),
    down: (prefix, dir) => run(process.execPath, [bin, "storage", "sync", `s3://bench/${prefix}/`, dir], env),
  },
  aws
    ? {
        name: "aws s3 sync",
        version: aws.version,
        up: (dir, prefix) => run(aws.path, ["--endpoint-url", endpoint, "s3", "sync", "--only-show-errors", dir, `s3://bench/${prefix}/`], env),
        down: (prefix, dir) => run(aws.path, ["--endpoint-url", endpoint, "s3", "sync", "--only-show-errors", `s3://bench/${prefix}/`, dir], env),
      }
    : { name: "aws s3 sync", missing: "not installed (apt-get install -y awscli)" },
  rclone
    ? {
        name: "rclone copy",
        version: rclone.version,
        up: (dir, prefix) => run(rclone.path, ["copy", dir, `s3:bench/${prefix}`], rcloneEnv),
        down: (prefix, dir) => run(rclone.path, ["copy", `s3:bench/${prefix}`, dir], rcloneEnv),
      }
    : { name: "rclone copy", missing: "not installed (apt-get install -y rclone)" },
];

console.log(
  `bench staging: ${SMALL_FILES} files of ${SMALL_KB} KB and one ${LARGE_MB} MB file, s3rver at ${endpoint}, median of ${Number(process.env.BENCH_REPEAT ?? 3)} runs each, Node ${process.version}, ${new Date().toISOString()}`,
);
for (const t of tools) if (t.missing) console.log(`  ${t.name}: ${t.missing}; its rows are left out`);
  else if (t.version) console.log(`  ${t.name}: ${t.version}`);

const data = makeData(join(work, "src"));
const sets = [
  { name: `${SMALL_FILES} × ${SMALL_KB} KB`, dir: data.small, key: "small", files: SMALL_FILES, bytes: SMALL_FILES * SMALL_KB * 1024 },
  { name: `1 × ${LARGE_MB} MB`, dir: data.large, key: "large", files: 1, bytes: LARGE_MB * MB },
];

/** Median wall time of a short command, 15 runs. */
function medianMs(cmd, args, extraEnv) {
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) return undefined;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[7];
}

/** `storage ls` of a folder of 20 sub-folders: start-up, one connection, one listing. */
function listStartup() {
  const where = "s3://bench/t0/r1/small/";
  return {
    node: medianMs(process.execPath, ["-e", "0"], {}),
    ours: medianMs(process.execPath, [bin, "storage", "ls", where], env),
    aws: aws ? medianMs(aws.path, ["--endpoint-url", endpoint, "s3", "ls", where], env) : undefined,
  };
}
let startup;

// each measurement REPEAT times, the tools taking turns, so that a busy machine slows all of them alike; the median counts
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const runs = []; // { tool, set, direction, seconds?, error? }
try {
  for (const set of sets) {
    const want = await tree(set.dir);
    for (let rep = 1; rep <= REPEAT; rep++) {
      for (const [i, t] of tools.entries()) {
        if (t.missing) continue;
        const prefix = `t${i}/r${rep}/${set.key}`;
        const into = join(work, "down", `t${i}`, `r${rep}`, set.key);
        for (const [direction, go] of [
          ["stage-out ↑", () => t.up(set.dir, prefix)],
          ["stage-in ↓", () => t.down(prefix, into)],
        ]) {
          const r = { tool: t.name, set, direction };
          // each timing starts with the page cache flushed: otherwise a download pays for the
          // writeback of the upload before it (hundreds of MB the server just wrote), by luck of order
          spawnSync("sync");
          try {
            r.seconds = await go();
          } catch (e) {
            r.error = e.message.split("\n").filter((l) => l.trim() && !/NOTICE/.test(l)).at(-1)?.slice(0, 160);
          }
          runs.push(r);
          process.stderr.write(`  ${set.name} ${direction} ${t.name} (${rep}/${REPEAT}): ${r.seconds ? `${r.seconds.toFixed(2)} s` : `failed: ${r.error}`}\n`);
        }
        const got = await tree(into).catch(() => new Map());
        if (got.size !== want.size || ![...want].every(([k, v]) => got.get(k) === v)) {
          const r = runs.findLast((x) => x.tool === t.name && x.set === set && x.direction === "stage-in ↓");
          r.error ??= "downloaded data differs";
          delete r.seconds;
        }
        rmSync(into, { recursive: true, force: true });
      }
    }
  }
  startup = listStartup();
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

/** One row per tool, set and direction: the median time, or the first error. */
const results = [];
for (const set of sets) {
  for (const direction of ["stage-out ↑", "stage-in ↓"]) {
    for (const t of tools) {
      const mine = runs.filter((r) => r.tool === t.name && r.set === set && r.direction === direction);
      if (!mine.length) continue;
      const failed = mine.find((r) => r.error);
      const times = mine.map((r) => r.seconds).sort((a, b) => a - b);
      results.push(failed ? { tool: t.name, set, direction, error: failed.error } : { tool: t.name, set, direction, seconds: times[Math.floor(times.length / 2)], all: times });
    }
  }
}

const ours = (set, direction) => results.find((r) => r.tool === tools[0].name && r.set === set && r.direction === direction);
const awsRow = (set, direction) => results.find((r) => r.tool === "aws s3 sync" && r.set === set && r.direction === direction);
const rows = [];
const verdicts = [];
for (const set of sets) {
  for (const direction of ["stage-out ↑", "stage-in ↓"]) {
    const base = awsRow(set, direction);
    for (const r of results.filter((x) => x.set === set && x.direction === direction)) {
      const rate = r.seconds ? `${(set.files / r.seconds).toFixed(set.files > 1 ? 0 : 2)} files/s, ${(set.bytes / MB / r.seconds).toFixed(1)} MB/s` : "-";
      const vsAws = r.seconds && base?.seconds ? `${(base.seconds / r.seconds).toFixed(2)}×` : "-";
      rows.push([set.name, direction, r.tool, r.seconds ? `${r.seconds.toFixed(2)} s` : r.error, rate, vsAws, r.all ? r.all.map((x) => x.toFixed(2)).join(" ") : ""]);
    }
    const o = ours(set, direction);
    const need = set.files > 1 ? 2 : 1;
    if (o?.seconds && base?.seconds) {
      const ratio = base.seconds / o.seconds;
      verdicts.push(`${set.name} ${direction}: ${ratio.toFixed(2)}× aws s3 sync (target ≥ ${need}×) ${ratio >= need ? "✓" : "✗"}`);
    } else verdicts.push(`${set.name} ${direction}: no comparison (${o?.error ?? base?.error ?? "aws s3 sync missing"})`);
  }
}
const head = ["data", "direction", "tool", "wall (median)", "rate", "speed vs aws", "all runs (s)"];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(" | ")} |`;
console.log(line(head));
console.log(`|${w.map((n) => "-".repeat(n + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
for (const v of verdicts) console.log(v);
const ms = (v) => (v === undefined ? "-" : `${v.toFixed(0)} ms`);
console.log(`storage ls start-up (median of 15): ${ms(startup?.ours)}; aws s3 ls ${ms(startup?.aws)}; node -e 0 ${ms(startup?.node)}`);
