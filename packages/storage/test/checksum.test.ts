import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { BackgroundMd5, compositeEtag, FileMd5, type FileRange, FrontierHasher, matchesObject, type Md5Sink, OrderedHasher, StreamHasher } from "../src/checksum/index.js";

describe("checksums", () => {
  const md5 = (b: Buffer) => createHash("md5").update(b).digest();

  it("checks an object against its ETag: the MD5, or the multipart form by a part size the server gave, never a guessed one", () => {
    const data = Buffer.alloc(3 * 1024 + 5, 7);
    const h = new StreamHasher(1024);
    for (let i = 0; i < data.length; i += 700) h.update(data.subarray(i, i + 700));
    const { md5: whole, parts } = h.finish();
    expect(whole).toBe(md5(data).toString("hex"));
    expect(parts.map((p) => p.toString("hex"))).toEqual([0, 1, 2, 3].map((i) => md5(data.subarray(i * 1024, (i + 1) * 1024)).toString("hex")));
    const etag = compositeEtag(parts);
    expect(etag).toMatch(/^[0-9a-f]{32}-4$/);
    expect(matchesObject({ size: data.length, etag }, { parts, partSize: 1024 })).toBe(true);
    expect(matchesObject({ size: data.length, etag }, { parts: parts.slice().reverse(), partSize: 1024 })).toBe(false);
    expect(matchesObject({ size: data.length, etag: whole }, { md5: whole })).toBe(true);
    expect(matchesObject({ size: data.length, etag: whole, opaqueEtag: true }, { md5: "0".repeat(32) })).toBeUndefined();
    // no part size from the server: checked by size only, not called a mismatch
    expect(matchesObject({ size: data.length, etag }, { md5: whole, parts: [] })).toBeUndefined();
  });

  it("hashes pieces that arrive out of order, holding back those too far ahead", async () => {
    const pieces = ["a", "b", "c", "d", "e"].map((s) => Buffer.from(s.repeat(10)));
    const h = new OrderedHasher(2);
    let fourth = false;
    const waiting = h.turn(3).then(() => (fourth = true));
    h.add(1, pieces[1]!);
    await new Promise((r) => setTimeout(r, 10));
    expect(fourth).toBe(false);
    h.add(0, pieces[0]!);
    await waiting;
    expect(fourth).toBe(true);
    for (const i of [4, 2, 3]) h.add(i, pieces[i]!);
    expect(await h.digest()).toBe(md5(Buffer.concat(pieces)).toString("hex"));
    // the same on another thread, as large transfers hash
    const bg = new OrderedHasher(2, new BackgroundMd5());
    for (const i of [1, 0, 3, 2, 4]) bg.add(i, pieces[i]!);
    expect(await bg.digest()).toBe(md5(Buffer.concat(pieces)).toString("hex"));
  });

  it("hashes a file written in parallel ranges as soon as everything before is written, each byte once", async () => {
    // 3 ranges of 10 bytes and a last one of 5
    const seen: FileRange[] = [];
    const sink: Md5Sink<FileRange> = { update: (r) => void seen.push(r), digest: async () => "done", close: () => undefined };
    const h = new FrontierHasher(35, 10, 2, sink);
    let third = false;
    const waiting = h.turn(2).then(() => (third = true));
    h.progress(1, 10); // the second range, before anything of the first: nothing can be hashed yet
    expect(seen).toEqual([]);
    h.progress(0, 4); // part of the first range: hashed at once, not when the range is complete
    expect(seen).toEqual([{ start: 0, length: 4 }]);
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false); // two ranges past the one at the frontier
    h.progress(0, 2); // a retry writes the same bytes again: not hashed twice
    h.progress(0, 10); // the first range done: the second, already written, follows
    expect(seen).toEqual([
      { start: 0, length: 4 },
      { start: 4, length: 16 },
    ]);
    await waiting;
    expect(third).toBe(true);
    h.progress(3, 5);
    await expect(new FrontierHasher(35, 10, 2, { ...sink }).digest()).rejects.toThrow(/hashed 0 bytes of 35/);
    h.progress(2, 10);
    expect(seen.at(-1)).toEqual({ start: 20, length: 15 });
    expect(await h.digest()).toBe("done");
  });

  it("hashes a file on another thread from the ranges written to it", async () => {
    const data = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
    const file = join(tempDir("aves2-md5-"), "f");
    writeFileSync(file, data);
    const h = new FrontierHasher(data.length, 8, 4, new FileMd5(file));
    for (const [i, n] of [[2, 8], [0, 3], [1, 8], [4, 4], [0, 8], [3, 8]] as const) h.progress(i, n);
    expect(await h.digest()).toBe(md5(data).toString("hex"));
  });
});
