import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { type ArchiveEntry, tempDir, writeArchive } from "@aves2/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserError } from "../src/errors.js";
import { isCaseInsensitiveDir } from "../src/archive/case-probe.js";
import { DEFAULT_LIMITS, unpackLimits } from "../src/archive/limits.js";
import { type UnpackOptions, unpackArchive } from "../src/archive/unpack.js";
import { localStore } from "../src/local/local-store.js";

const GOOD: ArchiveEntry[] = [
  { name: "./", type: "dir" },
  { name: "./cats/", type: "dir" },
  { name: "./cats/1.txt", content: "meow" },
  { name: "dogs/2.txt", content: "woof" },
  { name: "train.sh", content: "#!/bin/sh\necho hi\n", mode: 0o755 },
  { name: "latest", type: "symlink", target: "cats/1.txt" },
  { name: "cats/same.txt", type: "hardlink", target: "cats/1.txt" },
];

async function unpack(file: string, opts: Partial<UnpackOptions> = {}) {
  const parent = tempDir("aves2-unpack-");
  const dir = join(parent, "deep", "target");
  const error = await unpackArchive(file, dir, { name: file, label: file, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { parent, dir, error };
}

describe("archives are unpacked safely", () => {
  for (const ext of [".tar", ".tar.gz", ".tgz", ".zip"]) {
    it(`unpacks a ${ext} with folders, an executable and an inside link`, async () => {
      const entries = ext === ".zip" ? GOOD.filter((e) => e.type !== "hardlink" && e.name !== "./") : GOOD;
      const file = writeArchive(join(tempDir(), `data${ext}`), entries);
      const { dir, error } = await unpack(file);
      expect(error).toBeUndefined();
      expect(readFileSync(join(dir, "cats/1.txt"), "utf8")).toBe("meow");
      expect(readFileSync(join(dir, "dogs/2.txt"), "utf8")).toBe("woof");
      expect(statSync(join(dir, "train.sh")).mode & 0o111).not.toBe(0);
      expect(readlinkSync(join(dir, "latest"))).toBe("cats/1.txt");
      if (ext !== ".zip") expect(readFileSync(join(dir, "cats/same.txt"), "utf8")).toBe("meow");
    });
  }

  const attacks: [string, ArchiveEntry[], RegExp][] = [
    ["a ../ path", [{ name: "ok.txt", content: "x" }, { name: "../../evil.txt", content: "pwn" }], /entry "\.\.\/\.\.\/evil\.txt" goes up with \.\./],
    ["an absolute path", [{ name: "/tmp/evil.txt", content: "pwn" }], /entry "\/tmp\/evil\.txt" is an absolute path/],
    ["a link to an absolute path", [{ name: "etc", type: "symlink", target: "/etc" }], /entry "etc" is a symbolic link to an absolute path \(\/etc\)/],
    ["a link pointing outside", [{ name: "a/up", type: "symlink", target: "../../.." }], /entry "a\/up" is a symbolic link pointing outside \(\.\.\/\.\.\/\.\.\)/],
    [
      "a file written through a link",
      [
        { name: "sub/", type: "dir" },
        { name: "l", type: "symlink", target: "sub" },
        { name: "l/x.txt", content: "x" },
      ],
      /entry "l\/x\.txt" would be written through the symbolic link "l"/,
    ],
  ];
  for (const ext of [".tar.gz", ".zip"]) {
    for (const [what, entries, message] of attacks) {
      it(`refuses ${what} in a ${ext}, removes what it wrote, writes nothing outside`, async () => {
        const file = writeArchive(join(tempDir(), `evil${ext}`), entries);
        const { parent, dir, error } = await unpack(file);
        expect(error).toBeInstanceOf(UserError);
        expect(String((error as Error).message)).toMatch(message);
        expect(String((error as Error).message)).toContain("nothing was unpacked");
        expect(existsSync(dir)).toBe(false);
        expect(readdirSync(join(parent, "deep"))).toEqual([]);
        expect(existsSync(join(parent, "evil.txt"))).toBe(false);
      });
    }
  }

  it("refuses a hard link to a file outside, or to one the archive does not have (tar)", async () => {
    const out = await unpack(writeArchive(join(tempDir(), "h.tar"), [{ name: "pw", type: "hardlink", target: "../../../etc/passwd" }]));
    expect(String(out.error)).toMatch(/entry "pw" is a hard link to "\.\.\/\.\.\/\.\.\/etc\/passwd", outside the archive/);
    expect(existsSync(out.dir)).toBe(false);
    const missing = await unpack(writeArchive(join(tempDir(), "m.tar"), [{ name: "pw", type: "hardlink", target: "etc/passwd" }]));
    expect(String(missing.error)).toMatch(/entry "pw" is a hard link to "etc\/passwd", which is not a file of the archive/);
  });

  it("says so when the file is not an archive at all", async () => {
    const file = join(tempDir(), "junk.tar.gz");
    writeFileSync(file, "this is not gzip data at all, just text, long enough to be read as a header".repeat(20));
    const { dir, error } = await unpack(file);
    expect(error).toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/archive .*junk\.tar\.gz cannot be read/);
    expect(existsSync(dir)).toBe(false);
    const zip = join(tempDir(), "junk.zip");
    writeFileSync(zip, "PK not really");
    expect(String((await unpack(zip)).error)).toMatch(/archive .*junk\.zip cannot be read/);
  });
});

/** A refusal that left nothing behind: the error, and no target folder. */
function refused(out: { parent: string; dir: string; error: unknown }, message: RegExp): UserError {
  expect(out.error).toBeInstanceOf(UserError);
  expect((out.error as Error).message).toMatch(message);
  expect(existsSync(out.dir)).toBe(false);
  expect(readdirSync(join(out.parent, "deep"))).toEqual([]);
  return out.error as UserError;
}

const MiB = 1024 * 1024;

describe("archives are unpacked within limits", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("defaults to 100 GiB and 1,000,000 entries; the environment changes them", () => {
    expect(unpackLimits({}, {})).toEqual({ maxBytes: 100 * 1024 ** 3, maxEntries: 1_000_000 });
    expect(DEFAULT_LIMITS).toEqual(unpackLimits({}, {}));
    expect(unpackLimits({}, { AVES2_UNPACK_MAX_BYTES: "2048", AVES2_UNPACK_MAX_ENTRIES: "7" })).toEqual({ maxBytes: 2048, maxEntries: 7 });
    expect(unpackLimits({ maxEntries: 3 }, { AVES2_UNPACK_MAX_ENTRIES: "7" }).maxEntries).toBe(3);
    expect(() => unpackLimits({}, { AVES2_UNPACK_MAX_BYTES: "lots" })).toThrow(/AVES2_UNPACK_MAX_BYTES=lots is not a whole number above 0/);
  });

  it("stops a zip bomb at AVES2_UNPACK_MAX_BYTES and removes what it wrote", async () => {
    // 32 MiB of zeros deflate to a few dozen KiB
    const file = writeArchive(join(tempDir(), "bomb.zip"), [{ name: "ok.txt", content: "fine" }, { name: "zeros.bin", content: Buffer.alloc(32 * MiB) }], { deflate: true });
    expect(statSync(file).size).toBeLessThan(100 * 1024);
    vi.stubEnv("AVES2_UNPACK_MAX_BYTES", String(MiB));
    const e = refused(await unpack(file), /^archive .*bomb\.zip unpacks to more than 1 MiB \(1048576 bytes\), the limit; nothing was unpacked/);
    expect(e.problems[0]!.hint).toMatch(/zip bomb.*raise the limit: AVES2_UNPACK_MAX_BYTES=<bytes>/);
  });

  for (const ext of [".tar", ".tar.gz"]) {
    it(`stops a ${ext} at the byte limit on the bytes written`, async () => {
      // random bytes do not compress: the count is of what was written, whatever the archive's compression
      const file = writeArchive(join(tempDir(), `big${ext}`), [{ name: "a.txt", content: "a" }, { name: "big.bin", content: randomBytes(4 * MiB) }, { name: "z.txt", content: "z" }]);
      refused(await unpack(file, { limits: { maxBytes: 256 * 1024 } }), /archive .*big\.tar(\.gz)? unpacks to more than 256 KiB \(262144 bytes\), the limit; nothing was unpacked/);
    });
  }

  it("refuses a .tar.gz that inflates more than 1000 times (tar's own guard), clearly", async () => {
    const file = writeArchive(join(tempDir(), "zeros.tgz"), [{ name: "zeros.bin", content: Buffer.alloc(64 * MiB) }]);
    refused(await unpack(file), /archive .*zeros\.tgz inflates more than 1000 times its compressed size .*; nothing was unpacked/);
  });

  it("refuses a .tar.gz damaged in the middle of an entry, without waiting for data that never comes", async () => {
    const good = writeArchive(join(tempDir(), "ok.tgz"), [{ name: "a.bin", content: randomBytes(MiB) }]);
    const bytes = readFileSync(good);
    bytes.fill(0xff, bytes.length >> 1, (bytes.length >> 1) + 64);
    const file = join(tempDir(), "damaged.tgz");
    writeFileSync(file, bytes);
    refused(await unpack(file), /archive .*damaged\.tgz cannot be read: /);
  });

  for (const ext of [".tar.gz", ".zip"]) {
    it(`refuses a ${ext} with more entries than AVES2_UNPACK_MAX_ENTRIES`, async () => {
      const entries: ArchiveEntry[] = Array.from({ length: 50 }, (_, i) => ({ name: `f/${i}.txt`, content: "x" }));
      const file = writeArchive(join(tempDir(), `many${ext}`), entries);
      vi.stubEnv("AVES2_UNPACK_MAX_ENTRIES", "20");
      const e = refused(await unpack(file), /^archive .*many\.(tar\.gz|zip) has more than 20 entries, the limit; nothing was unpacked/);
      expect(e.problems[0]!.hint).toContain("AVES2_UNPACK_MAX_ENTRIES=<count>");
      vi.stubEnv("AVES2_UNPACK_MAX_ENTRIES", "50");
      expect((await unpack(file)).error).toBeUndefined();
    });
  }

  it("refuses a zip whose header understates an entry's size, at the first byte past it", async () => {
    const file = writeArchive(join(tempDir(), "liar.zip"), [{ name: "ok.txt", content: "fine" }, { name: "liar.bin", content: Buffer.alloc(2 * MiB, 7), declaredSize: 10 }], { deflate: true });
    refused(await unpack(file), /^archive .*liar\.zip: entry "liar\.bin" cannot be unpacked: too many bytes in the stream\. expected 10\. .*; nothing was unpacked/);
    // under a byte limit the lie does not help either: it is caught before the limit is even reached
    refused(await unpack(file, { limits: { maxBytes: MiB } }), /entry "liar\.bin" cannot be unpacked: too many bytes in the stream/);
  });

  it("a bad limit in the environment is reported before anything is made", async () => {
    vi.stubEnv("AVES2_UNPACK_MAX_BYTES", "-1");
    const out = await unpack(writeArchive(join(tempDir(), "a.zip"), [{ name: "a.txt", content: "a" }]));
    expect(String(out.error)).toMatch(/AVES2_UNPACK_MAX_BYTES=-1 is not a whole number above 0/);
    expect(existsSync(join(out.parent, "deep"))).toBe(false);
  });
});

describe("names that differ only in case", () => {
  const clash: ArchiveEntry[] = [
    { name: "a/B.txt", content: "upper" },
    { name: "a/b.txt", content: "lower" },
  ];

  for (const ext of [".tar.gz", ".zip"]) {
    it(`are refused in a ${ext} where the file system ignores case`, async () => {
      const file = writeArchive(join(tempDir(), `case${ext}`), clash);
      const e = refused(
        await unpack(file, { caseInsensitive: true }),
        /^archive .*: entry "a\/b\.txt" has the same name as "a\/B\.txt" when case is ignored, and .*target is on a file system that ignores case; nothing was unpacked/,
      );
      expect(e.problems[0]!.hint).toMatch(/rename one of them/);
    });

    it(`are unpacked from a ${ext} where it does not`, async () => {
      const { dir, error } = await unpack(writeArchive(join(tempDir(), `case${ext}`), clash), { caseInsensitive: false });
      expect(error).toBeUndefined();
      expect(readFileSync(join(dir, "a/B.txt"), "utf8")).toBe("upper");
      expect(readFileSync(join(dir, "a/b.txt"), "utf8")).toBe("lower");
    });
  }

  it("also in parent folders: a file under `l/` is not written through a link `L`", async () => {
    const file = writeArchive(join(tempDir(), "link.tar"), [
      { name: "sub/", type: "dir" },
      { name: "L", type: "symlink", target: "sub" },
      { name: "l/x.txt", content: "x" },
    ]);
    refused(await unpack(file, { caseInsensitive: true }), /entry "l\/x\.txt" has the same name as "L" when case is ignored/);
  });

  it("the file system is probed when not told, and the probe leaves nothing behind", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "probe-me"), "");
    const insensitive = existsSync(join(dir, "PROBE-ME"));
    rmSync(join(dir, "probe-me"));
    expect(await isCaseInsensitiveDir(dir)).toBe(insensitive);
    expect(readdirSync(dir)).toEqual([]);
    // unpacking without the option follows the probe: refused only where case is ignored
    const out = await unpack(writeArchive(join(tempDir(), "case.zip"), clash));
    if (insensitive) refused(out, /has the same name as "a\/B\.txt"/);
    else expect(out.error).toBeUndefined();
  });
});

describe("local archives as inputs", () => {
  it("are unpacked into the run's data folder (folders are still linked)", async () => {
    const file = writeArchive(join(tempDir(), "images.zip"), [{ name: "a/1.txt", content: "one" }]);
    const uri = { scheme: "file", path: file } as const;
    await localStore.checkInput(uri, "--input x");
    const dir = join(tempDir(), "run", "data", "x");
    const t = await localStore.stageIn(uri, dir, "x");
    expect(t).toMatchObject({ method: "unpack", files: 1, bytes: 3 });
    expect(readFileSync(join(dir, "a/1.txt"), "utf8")).toBe("one");

    const folder = tempDir();
    mkdirSync(join(folder, "k"));
    const linked = join(tempDir(), "data", "y");
    expect(await localStore.stageIn({ scheme: "file", path: folder }, linked, "y")).toMatchObject({ method: "link" });
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
  });

  it("an empty archive file is refused before the run", async () => {
    const file = join(tempDir(), "empty.tgz");
    writeFileSync(file, "");
    await expect(localStore.checkInput({ scheme: "file", path: file }, "--input x")).rejects.toThrow(/--input x: .*empty\.tgz is empty/);
  });
});
