import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { BIN, type CliResult, collectOutput, type S3TestServer, startS3Server, writeArchive } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, runCli, tempDir } from "./cli.js";

/**
 * Local runs when the machine gets in the way: outputs that cannot be
 * written, runs started at once, disks that fill up. The full disks are real:
 * a 2 MiB tmpfs, mounted in a mount namespace of the command's own (as root,
 * or in a user namespace without it), so nothing is left mounted whatever
 * happens to the test.
 */

const MiB = 1024 * 1024;

/** How this machine can mount a tmpfs for one command, or why it cannot. */
function findUnshare(): { argv: string[] } | { skip: string } {
  const dir = tempDir("aves2-tmpfs-probe-");
  const tried: string[] = [];
  for (const argv of [
    ["unshare", "--mount"],
    ["unshare", "--user", "--map-root-user", "--mount"],
  ]) {
    const r = spawnSync(argv[0]!, [...argv.slice(1), "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$0"', dir], { encoding: "utf8" });
    if (r.status === 0) return { argv };
    tried.push(`${argv.join(" ")}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
  return { skip: `no tmpfs can be mounted here (${tried.join("; ")})` };
}

const unshare = findUnshare();
const noTmpfs = "skip" in unshare;
if ("skip" in unshare) console.warn(`local-faults: the full-disk tests are skipped: ${unshare.skip}`);

/**
 * Runs the CLI with a fresh tmpfs of `size` at `mountpoint` (`ro` for a
 * read-only one). `setup` is shell run first in the namespace (e.g. filling
 * the disk). The tmpfs vanishes with the namespace: its contents are copied
 * to the returned `snapshot` folder for the test to look at.
 */
async function runOnTmpfs(
  mountpoint: string,
  args: string[],
  env: Record<string, string>,
  opts: { size?: string; ro?: boolean; setup?: string } = {},
): Promise<CliResult & { snapshot: string }> {
  if ("skip" in unshare) throw new Error(unshare.skip);
  const snapshot = tempDir("aves2-tmpfs-snapshot-");
  const script = [
    `mount -t tmpfs -o size=${opts.size ?? "2m"}${opts.ro ? ",ro" : ""} tmpfs "$0" || exit 97`,
    opts.setup ?? ":",
    '"$@"',
    "rc=$?",
    'cp -a "$0/." "$AVES2_SNAPSHOT/"',
    "exit $rc",
  ].join("\n");
  const child = spawn(unshare.argv[0]!, [...unshare.argv.slice(1), "sh", "-c", script, mountpoint, process.execPath, BIN, ...args], {
    cwd: FIXTURE,
    env: { ...process.env, NO_COLOR: "1", ...env, AVES2_SNAPSHOT: snapshot },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ...(await collectOutput(child)), snapshot };
}

/** Every file under `dir`, relative, with its size. */
function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(dir, join(e.parentPath, e.name)), statSync(join(e.parentPath, e.name)).size);
  }
  return out;
}

function onlyRecord(runs: string) {
  const ids = readdirSync(runs).filter((id) => existsSync(join(runs, id, "run.json")));
  expect(ids).toHaveLength(1);
  return JSON.parse(readFileSync(join(runs, ids[0]!, "run.json"), "utf8"));
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** One clear line for the problem: no stack trace, no internal error. */
function noTrace(r: CliResult): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|internal error|Error: ENOSPC/);
}

let server: S3TestServer;
const big = randomBytes(3 * MiB);
const shared = randomBytes(24 * MiB);

beforeAll(async () => {
  server = await startS3Server({ buckets: ["aves2"] });
  const put = (key: string, body: Buffer) => server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: key, Body: body }));
  await put("big/data/blob.bin", big);
  await put("shared/data/blob.bin", shared);
});

afterAll(async () => {
  await server?.stop();
});

/** The S3 test server, and nothing from this machine's HOME or AWS config. */
function envFor(extra: Record<string, string>): Record<string, string> {
  const home = tempDir("aves2-home-");
  return server.env({ HOME: home, XDG_CACHE_HOME: join(home, ".cache"), AWS_CONFIG_FILE: join(home, "aws-config"), AWS_SHARED_CREDENTIALS_FILE: join(home, "aws-credentials"), ...extra });
}

describe("outputs that cannot be written are refused before anything starts", () => {
  it("a path in /proc, under a file, or on a read-only disk: one message naming the --output and the path, nothing made", async () => {
    const runs = join(tempDir(), "runs");
    const env = envFor({ AVES2_RUNS_DIR: runs });
    const proc = await runCli(["run", "echo", "--set", "epochs=1", "--output", "result_dir=/proc/x"], { env });
    expect(proc.code).toBe(2);
    expect(proc.stderr.trim()).toBe("error: --output result_dir: /proc/x is not writable: files cannot be created in /proc (this file system takes no new files, ENOENT) (choose a folder you can write to)");
    expect(proc.stdout).toBe("");
    expect(existsSync(runs)).toBe(false);

    const file = join(tempDir(), "a-file");
    writeFileSync(file, "in the way");
    const under = await runCli(["run", "echo", "--set", "epochs=1", "--output", `result_dir=${file}/out`], { env });
    expect(under.code).toBe(2);
    expect(under.stderr.trim()).toBe(`error: --output result_dir: ${file}/out cannot be created: ${file} is a file`);
    const onFile = await runCli(["run", "echo", "--set", "epochs=1", "--output", `result_dir=${file}`], { env });
    expect(onFile.code).toBe(2);
    expect(onFile.stderr.trim()).toBe(`error: --output result_dir: ${file} exists and is not a directory`);
    expect(existsSync(runs)).toBe(false);

    // downloads are written to the content cache: it is checked too, when an input is in object storage
    const cached = await runCli(["run", "echo", "--set", "epochs=1", "--input", "data_dir=s3://aves2/big/data/"], { env: { ...env, AVES2_CACHE_DIR: "/proc/aves2-cache" } });
    expect(cached.code).toBe(2);
    expect(cached.stderr.trim()).toBe(
      "error: download cache (AVES2_CACHE_DIR): /proc/aves2-cache is not writable: files cannot be created in /proc (this file system takes no new files, ENOENT) (choose a folder you can write to)",
    );
    expect(existsSync(runs)).toBe(false);
  });

  it.skipIf(noTmpfs)("a read-only file system (where permission bits say nothing, even to root)", async () => {
    const ro = tempDir("aves2-ro-");
    const runs = join(tempDir(), "runs");
    const r = await runOnTmpfs(ro, ["run", "echo", "--set", "epochs=1", "--output", `result_dir=${ro}/out`], envFor({ AVES2_RUNS_DIR: runs }), { ro: true });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`error: --output result_dir: ${ro}/out is not writable: files cannot be created in ${ro} (a read-only file system, EROFS) (choose a folder you can write to)`);
    expect(existsSync(runs)).toBe(false);
    noTrace(r);
  });
});

describe("runs of the same component started at once", () => {
  it("get their own ids and folders, and share the content cache: both succeed, one valid entry", async () => {
    const runs = join(tempDir(), "runs");
    const cache = tempDir("aves2-cache-");
    const env = envFor({ AVES2_RUNS_DIR: runs, AVES2_CACHE_DIR: cache });
    const args = ["run", "echo", "--set", "epochs=1", "--input", "data_dir=s3://aves2/shared/data/"];
    const [a, b] = await Promise.all([runCli(args, { env }), runCli(args, { env })]);
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(b.code, b.stderr + b.stdout).toBe(0);

    const ids = readdirSync(runs).sort();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      const record = JSON.parse(readFileSync(join(runs, id, "run.json"), "utf8"));
      expect(record).toMatchObject({ runId: id, state: "succeeded" });
      expect(sha(readFileSync(join(runs, id, "data", "data_dir", "blob.bin")))).toBe(sha(shared));
    }
    // one entry, complete and read-only, and no download left half-way
    const cached = [...filesUnder(cache)];
    expect(cached).toHaveLength(1);
    const [entry, size] = cached[0]!;
    expect(entry).toMatch(/^objects\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    expect(size).toBe(shared.length);
    expect(sha(readFileSync(join(cache, entry)))).toBe(sha(shared));
    expect(statSync(join(cache, entry)).mode & 0o222).toBe(0);
  });
});

describe.skipIf(noTmpfs)("a disk that fills up while staging or saving (a 2 MiB tmpfs)", () => {
  it("an s3:// input bigger than the disk of the cache and the runs: the run fails saying so, no partial file, no cache entry", async () => {
    const disk = tempDir("aves2-full-");
    const r = await runOnTmpfs(disk, ["run", "echo", "--set", "epochs=1", "--input", "data_dir=s3://aves2/big/data/"], envFor({ AVES2_RUNS_DIR: join(disk, "runs"), AVES2_CACHE_DIR: join(disk, "cache") }));
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const said = `${r.stdout}${r.stderr}`;
    const line = said.split("\n").filter((l) => l.includes("no space left on device"));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(new RegExp(`no space left on device \\(ENOSPC\\) writing ${disk}/cache/objects/[0-9a-f]{2}/[0-9a-f]{62} while downloading s3://aves2/big/data/blob\\.bin \\(3\\.00 MB\\); [\\d.]+ (B|KB) of 2\\.00 MB free there now`));
    expect(line[0]).toContain("AVES2_CACHE_DIR");
    noTrace(r);

    const record = onlyRecord(join(r.snapshot, "runs"));
    expect(record.state).toBe("failed");
    expect(record.reason).toContain("data_dir: no space left on device (ENOSPC)");
    // nothing half-written: no cache entry, no scratch file, nothing staged for the input
    expect([...filesUnder(join(r.snapshot, "cache"))]).toEqual([]);
    expect([...filesUnder(join(r.snapshot, "runs", record.runId, "data"))]).toEqual([]);
  });

  it("a local archive that unpacks to more than the disk holds: the same, and the half-unpacked folder is gone", async () => {
    const disk = tempDir("aves2-full-");
    const archive = writeArchive(join(tempDir(), "big.tar.gz"), [{ name: "blob.bin", content: big }]);
    const r = await runOnTmpfs(disk, ["run", "echo", "--set", "epochs=1", "--input", `data_dir=${archive}`], envFor({ AVES2_RUNS_DIR: join(disk, "runs") }));
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const line = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("no space left on device"));
    expect(line).toHaveLength(1);
    const record = onlyRecord(join(r.snapshot, "runs"));
    expect(line[0]).toContain(`no space left on device (ENOSPC) writing ${disk}/runs/${record.runId}/data/data_dir while unpacking ${archive}`);
    noTrace(r);
    expect(record.state).toBe("failed");
    expect(record.reason).toContain("no space left on device (ENOSPC)");
    expect(existsSync(join(r.snapshot, "runs", record.runId, "data", "data_dir"))).toBe(false);
  });

  it("outputs saved to a local --output on a disk that is full: the run fails saying so, no partial file, no marker", async () => {
    const disk = tempDir("aves2-full-");
    const runs = join(tempDir(), "runs");
    // the disk is full of something else; an empty file still fits, so the output passes its preflight
    const r = await runOnTmpfs(disk, ["run", "echo", "--set", "epochs=1", "--output", `result_dir=${disk}/out`], envFor({ AVES2_RUNS_DIR: runs }), {
      setup: 'cat /dev/zero > "$0/filler" 2>/dev/null',
    });
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const line = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("no space left on device"));
    expect(line).toHaveLength(1);
    expect(line[0]).toContain(`saving result_dir to ${disk}/out failed: no space left on device (ENOSPC) writing ${disk}/out; 0 B of 2.00 MB free there now`);
    noTrace(r);
    const record = onlyRecord(runs);
    expect(record.state).toBe("failed");
    expect(record.exitCode).toBe(0);
    expect(record.reason).toContain("saving result_dir");
    expect(record.reason).toContain("no space left on device (ENOSPC)");
    // the run's own copy is whole; the full disk holds no partial file and no _SUCCESS
    expect(readdirSync(join(runs, record.runId, "output", "result_dir")).sort()).toEqual(["argv.json", "epoch-1.txt", "grandchild.pid"]);
    expect([...filesUnder(join(r.snapshot, "out"))]).toEqual([]);
  });
});

describe("a file over the size limit of the process (EFBIG)", () => {
  it("is reported like a full disk: the run fails saying so, and the cache keeps nothing of it", async () => {
    const runs = join(tempDir(), "runs");
    const cache = tempDir("aves2-cache-");
    mkdirSync(runs, { recursive: true });
    // RLIMIT_FSIZE of 1 MiB (in 512-byte blocks for sh's ulimit): the 3 MiB download cannot be written
    const child = spawn("sh", ["-c", 'ulimit -f 2048 && exec "$@"', "sh", process.execPath, BIN, "run", "echo", "--set", "epochs=1", "--input", "data_dir=s3://aves2/big/data/"], {
      cwd: FIXTURE,
      env: { ...process.env, NO_COLOR: "1", ...envFor({ AVES2_RUNS_DIR: runs, AVES2_CACHE_DIR: cache }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const r = await collectOutput(child);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const line = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("file too large"));
    expect(line).toHaveLength(1);
    expect(line[0]).toContain(`file too large for the file system (EFBIG) writing ${cache}/objects/`);
    noTrace(r);
    const record = onlyRecord(runs);
    expect(record.state).toBe("failed");
    expect(record.reason).toContain("(EFBIG)");
    expect([...filesUnder(cache)]).toEqual([]);
  });
});
