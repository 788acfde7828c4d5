import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ArchiveEntry, tempDir, writeArchive } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { unpackArchive } from "../../src/storage/archive/unpack.js";
import { localStore } from "../../src/storage/local/local-store.js";

const GOOD: ArchiveEntry[] = [
  { name: "./", type: "dir" },
  { name: "./cats/", type: "dir" },
  { name: "./cats/1.txt", content: "meow" },
  { name: "dogs/2.txt", content: "woof" },
  { name: "train.sh", content: "#!/bin/sh\necho hi\n", mode: 0o755 },
  { name: "latest", type: "symlink", target: "cats/1.txt" },
  { name: "cats/same.txt", type: "hardlink", target: "cats/1.txt" },
];

async function unpack(file: string) {
  const parent = tempDir("aves2-unpack-");
  const dir = join(parent, "deep", "target");
  const error = await unpackArchive(file, dir, { name: file, label: file }).then(
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
