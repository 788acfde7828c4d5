import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { type S3TestServer, startS3Server, tempDir, writeArchive } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unpackArchive } from "../src/archive/unpack.js";
import { explainDiskFull, isDiskFull } from "../src/disk-full.js";
import { UserError } from "../src/errors.js";
import { localStore } from "../src/local/local-store.js";
import type { S3Settings } from "../src/s3/settings.js";
import { s3Store } from "../src/s3/s3-store.js";
import { parseUri } from "../src/uri.js";

/**
 * A full disk, wherever staged data is written, is one UserError naming what
 * was written and the room left, and leaves nothing half-written. The disks
 * are real: a tmpfs of 2 MiB mounted for this file (root, or CAP_SYS_ADMIN;
 * elsewhere these tests are skipped and say why; the CLI's local-faults tests
 * mount theirs in a user namespace instead).
 */

const MiB = 1024 * 1024;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: as the kernel says it, write`), { code, errno: -1, syscall: "write" });
}

describe("explainDiskFull", () => {
  it("ENOSPC, EDQUOT and EFBIG become one UserError naming the path, the binding, the room left and what to do", async () => {
    const dir = tempDir("aves2-room-");
    for (const [code, words] of [
      ["ENOSPC", "no space left on device"],
      ["EDQUOT", "disk quota exceeded"],
      ["EFBIG", "file too large for the file system"],
    ] as const) {
      expect(isDiskFull(errno(code))).toBe(true);
      // a file not yet there: the room is that of its nearest folder
      const e = await explainDiskFull(errno(code), { path: join(dir, "not", "yet", "file.bin"), what: "data_dir", doing: "downloading s3://b/k (3.00 MB)" });
      expect(e).toBeInstanceOf(UserError);
      const problem = (e as UserError).problems[0]!;
      expect(problem.path).toBe("data_dir");
      expect(problem.message).toMatch(
        new RegExp(`^${words} \\(${code}\\) writing ${join(dir, "not/yet/file.bin")} while downloading s3://b/k \\(3\\.00 MB\\); [\\d.]+ [KMGT]?B of [\\d.]+ [KMGT]?B free there now$`),
      );
      expect(problem.hint).toBe("free some space on that disk, or write somewhere else");
    }
    const hinted = (await explainDiskFull(errno("ENOSPC"), { path: dir, hint: "point AVES2_CACHE_DIR elsewhere" })) as UserError;
    expect(hinted.message).toMatch(/^no space left on device \(ENOSPC\) writing .*\(point AVES2_CACHE_DIR elsewhere\)$/);
  });

  it("anything else passes through untouched", async () => {
    for (const e of [errno("EACCES"), new Error("plain"), UserError.of("already a user error"), "a string", undefined]) {
      expect(isDiskFull(e)).toBe(false);
      expect(await explainDiskFull(e, { path: "/tmp" })).toBe(e);
    }
  });
});

/** Mounts a tmpfs of `size` (and `ro`) on a new folder, for this process; undefined, with why, where it cannot. */
function mountTmpfs(options: string): { dir: string } | { skip: string } {
  const dir = tempDir("aves2-tmpfs-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "pipe" });
    mounted.push(dir);
    return { dir };
  } catch (e) {
    return { skip: `cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}` };
  }
}
const mounted: string[] = [];
const probe = mountTmpfs("size=1m");
const canMount = "dir" in probe;
if ("skip" in probe) console.warn(`disk-full: the full-disk tests are skipped: ${probe.skip}`);

/** A fresh, empty 2 MiB disk. */
function smallDisk(): string {
  const m = mountTmpfs("size=2m");
  if ("skip" in m) throw new Error(m.skip);
  return m.dir;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

afterAll(() => {
  for (const dir of mounted) execFileSync("umount", ["-l", dir]);
});

const uri = (s: string) => parseUri(s, "test", "/");

describe.skipIf(!canMount)("a disk that fills up (a real 2 MiB tmpfs)", () => {
  let server: S3TestServer;
  let s3: S3Settings;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = await startS3Server({ buckets: ["aves2"] });
    Object.assign(process.env, server.env({ HOME: tempDir("aves2-home-") }));
    s3 = { endpoint: server.endpoint, region: "us-east-1", pathStyle: true };
    const put = (key: string, body: Buffer) => server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: key, Body: body }));
    await put("whole/blob.bin", randomBytes(3 * MiB));
    await put("ranged/blob.bin", randomBytes(40 * MiB));
  });

  afterAll(async () => {
    process.env = saved;
    await server?.stop();
  });

  for (const [kind, prefix, size] of [
    ["in one piece", "whole", "3.00 MB"],
    ["as parallel ranges", "ranged", "40.0 MB"],
  ] as const) {
    it(`an s3:// download ${kind} into the content cache: a UserError naming the entry and the cache, no entry, no scratch file`, async () => {
      const disk = smallDisk();
      process.env.AVES2_CACHE_DIR = join(disk, "cache");
      const into = join(tempDir(), "data");
      const e = await rejection(s3Store.stageIn(uri(`s3://aves2/${prefix}/`), into, "data_dir", { s3 }));
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]!.path).toBe("data_dir");
      expect(e.problems[0]!.message).toMatch(
        new RegExp(`^no space left on device \\(ENOSPC\\) writing ${disk}/cache/objects/[0-9a-f]{2}/[0-9a-f]{62} while downloading s3://aves2/${prefix}/blob\\.bin \\(${size.replace(".", "\\.")}\\); `),
      );
      expect(e.problems[0]!.hint).toContain("AVES2_CACHE_DIR");
      expect(filesUnder(join(disk, "cache"))).toEqual([]);
      expect(filesUnder(into)).toEqual([]);
      // and the disk is whole again: the next download that fits is cached as usual
      await server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: `small-${prefix}/a.txt`, Body: "fits" }));
      expect(await s3Store.stageIn(uri(`s3://aves2/small-${prefix}/`), join(tempDir(), "d"), "data_dir", { s3 })).toMatchObject({ files: 1 });
      expect(filesUnder(join(disk, "cache"))).toHaveLength(1);
    });
  }

  it("an s3:// archive too big to unpack: the unpacked part is removed, and it is not called a damaged archive", async () => {
    const disk = smallDisk();
    process.env.AVES2_CACHE_DIR = join(tempDir(), "cache");
    // small packed (its copy fits), 3 MiB unpacked (it does not)
    const block = randomBytes(1024);
    const archive = writeArchive(join(tempDir(), "big.zip"), [{ name: "blob.bin", content: Buffer.concat(Array.from({ length: 3072 }, () => block)) }], { deflate: true });
    expect(statSync(archive).size).toBeLessThan(MiB);
    await server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: "archives/big.zip", Body: readFileSync(archive) }));
    const into = join(disk, "runs", "r-1", "data", "data_dir");
    const e = await rejection(s3Store.stageIn(uri("s3://aves2/archives/big.zip"), into, "data_dir", { s3 }));
    expect(e.message).toBe(
      `data_dir: no space left on device (ENOSPC) writing ${into} while unpacking s3://aves2/archives/big.zip; ${e.message.match(/; (.*) free there now/)![1]} free there now (free some space on that disk, or write somewhere else)`,
    );
    expect(e.message).not.toMatch(/damaged/);
    expect(existsSync(into)).toBe(false);
    expect(filesUnder(disk)).toEqual([]);
  });

  for (const ext of ["tar.gz", "zip"]) {
    it(`a local .${ext} that unpacks to more than the disk holds: a UserError naming the folder, the folder removed`, async () => {
      const disk = smallDisk();
      const archive = writeArchive(join(tempDir(), `big.${ext}`), [
        { name: "small.txt", content: "fits" },
        { name: "blob.bin", content: randomBytes(3 * MiB) },
      ]);
      const dir = join(disk, "data_dir");
      const e = await rejection(localStore.stageIn(uri(archive), dir, "data_dir"));
      expect(e.problems[0]!.path).toBe("data_dir");
      expect(e.problems[0]!.message).toMatch(new RegExp(`^no space left on device \\(ENOSPC\\) writing ${dir} while unpacking ${archive}; `));
      expect(existsSync(dir)).toBe(false);
    });
  }

  it("unpacking: a direct call says the same (the error is made where the write is)", async () => {
    const disk = smallDisk();
    const archive = writeArchive(join(tempDir(), "big.tar"), [{ name: "blob.bin", content: randomBytes(3 * MiB) }]);
    await expect(unpackArchive(archive, join(disk, "x"), { name: archive, label: archive })).rejects.toThrow(/^no space left on device \(ENOSPC\) writing /);
  });

  it("saving an output to a local folder on a disk that fills: a UserError naming the folder; whole files or none, no marker", async () => {
    const disk = smallDisk();
    const out = join(tempDir(), "output");
    mkdirSync(join(out, "ckpt"), { recursive: true });
    writeFileSync(join(out, "metrics.json"), "{}");
    writeFileSync(join(out, "ckpt", "model.bin"), randomBytes(3 * MiB));
    const target = join(disk, "out");
    const e = await rejection(localStore.stageOut(out, uri(target), "result_dir", { marker: { runId: "r-1" } }));
    expect(e.message).toMatch(new RegExp(`^no space left on device \\(ENOSPC\\) writing ${target}; [\\d.]+ [KM]?B of 2\\.00 MB free there now \\(free some space on that disk, or save the output somewhere else\\)$`));
    // files are whole or absent, and no _SUCCESS claims the output complete
    const left = filesUnder(target);
    expect(left.every((f) => f === "metrics.json")).toBe(true);
    expect(left).not.toContain("_SUCCESS");
    expect(left.some((f) => f.includes("aves2-part"))).toBe(false);
  });

  it("a disk already full: even the marker of a tiny output does not half-exist", async () => {
    const disk = smallDisk();
    const out = join(tempDir(), "output");
    mkdirSync(out);
    writeFileSync(join(out, "a.txt"), "x");
    // fill it up with something else
    let filled: unknown;
    try {
      writeFileSync(join(disk, "filler"), Buffer.alloc(3 * MiB));
    } catch (e) {
      filled = e;
    }
    expect(isDiskFull(filled)).toBe(true);
    expect(statSync(join(disk, "filler")).size).toBeGreaterThan(0);
    const target = join(disk, "out");
    await expect(localStore.stageOut(out, uri(target), "result_dir", { marker: {} })).rejects.toThrow(/no space left on device \(ENOSPC\)/);
    expect(filesUnder(target)).toEqual([]);
  });
});

describe("outputs that cannot be written are refused at check time", () => {
  it("/proc, a file in the way, an existing file: one message naming the binding and the path; nothing is created", async () => {
    const e1 = await rejection(localStore.checkOutput(uri("/proc/x/y"), "--output result_dir"));
    expect(e1.message).toBe("--output result_dir: /proc/x/y is not writable: files cannot be created in /proc (this file system takes no new files, ENOENT) (choose a folder you can write to)");
    const dir = tempDir("aves2-check-");
    writeFileSync(join(dir, "file"), "x");
    await expect(localStore.checkOutput(uri(join(dir, "file", "out")), "--output r")).rejects.toThrow(`--output r: ${join(dir, "file", "out")} cannot be created: ${join(dir, "file")} is a file`);
    await expect(localStore.checkOutput(uri(join(dir, "file")), "--output r")).rejects.toThrow(`--output r: ${join(dir, "file")} exists and is not a directory`);
    // a writable place passes, and the probe leaves nothing behind (not even the folder to be)
    await localStore.checkOutput(uri(join(dir, "new", "deeper")), "--output r");
    expect(readdirSync(dir)).toEqual(["file"]);
  });

  it.skipIf(!canMount)("a read-only file system, which permission bits do not show (and do not stop root)", async () => {
    const m = mountTmpfs("size=1m,ro");
    if ("skip" in m) throw new Error(m.skip);
    await expect(localStore.checkOutput(uri(join(m.dir, "out")), "--output r")).rejects.toThrow(
      `--output r: ${join(m.dir, "out")} is not writable: files cannot be created in ${m.dir} (a read-only file system, EROFS) (choose a folder you can write to)`,
    );
  });
});
