import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { isolatedEnv, type S3TestServer, startS3Server, tempDir } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentCache } from "../src/content-cache.js";
import type { S3Settings } from "../src/s3/settings.js";
import { s3Store } from "../src/s3/s3-store.js";
import { parseUri } from "../src/uri.js";

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("committing a download to the content cache", () => {
  it("the first complete entry stays: a second writer's copy is dropped, the entry's file (and links to it) unchanged", async () => {
    const cache = new ContentCache(tempDir("aves2-cache-"));
    const path = cache.pathFor("endpoint\0bucket\0key", "4:etag");
    const first = await cache.scratch(path);
    writeFileSync(first, "data");
    const second = await cache.scratch(path);
    writeFileSync(second, "data");
    await cache.commit(first, path, 4);
    const inode = statSync(path).ino;
    await cache.commit(second, path, 4);
    expect(statSync(path).ino).toBe(inode);
    expect(statSync(path).mode & 0o222).toBe(0);
    expect(readdirSync(join(path, ".."))).toEqual([path.split("/").at(-1)]);
  });

  it("an entry of the wrong size is replaced by a complete one", async () => {
    const cache = new ContentCache(tempDir("aves2-cache-"));
    const path = cache.pathFor("endpoint\0bucket\0key", "4:etag");
    const torn = await cache.scratch(path);
    writeFileSync(torn, "da");
    await cache.commit(torn, path, 2);
    const whole = await cache.scratch(path);
    writeFileSync(whole, "data");
    await cache.commit(whole, path, 4);
    expect(readFileSync(path, "utf8")).toBe("data");
    expect(await cache.has(path, 4)).toBe(true);
    expect(readdirSync(join(path, ".."))).toHaveLength(1);
  });
});

describe("two stagings of the same s3:// input at once (s3rver)", () => {
  let server: S3TestServer;
  let s3: S3Settings;
  const saved = { ...process.env };
  const body = randomBytes(24 * MiB);
  const ranged = randomBytes(40 * MiB);

  beforeAll(async () => {
    server = await startS3Server({ buckets: ["aves2"] });
    process.env = { ...isolatedEnv(), ...server.env({ HOME: tempDir("aves2-home-") }) };
    s3 = { endpoint: server.endpoint, region: "us-east-1", pathStyle: true };
    await server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: "shared/blob.bin", Body: body }));
    await server.client().send(new PutObjectCommand({ Bucket: "aves2", Key: "shared/ranged.bin", Body: ranged }));
  });

  afterAll(async () => {
    process.env = saved;
    await server?.stop();
  });

  it("both succeed with the right data, and the cache holds one valid entry per object, no scratch files", async () => {
    const root = tempDir("aves2-cache-");
    process.env.AVES2_CACHE_DIR = root;
    const a = join(tempDir(), "data");
    const b = join(tempDir(), "data");
    const u = parseUri("s3://aves2/shared/", "test", "/");
    const [ta, tb] = await Promise.all([s3Store.stageIn(u, a, "data_dir", { s3 }), s3Store.stageIn(u, b, "data_dir", { s3 })]);
    // both listed before either had finished: both downloaded, racing to commit
    expect(ta).toMatchObject({ files: 2, skipped: 0 });
    expect(tb).toMatchObject({ files: 2, skipped: 0 });
    for (const dir of [a, b]) {
      expect(sha(readFileSync(join(dir, "blob.bin")))).toBe(sha(body));
      expect(sha(readFileSync(join(dir, "ranged.bin")))).toBe(sha(ranged));
    }
    const entries = filesUnder(root);
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => /^objects\/[0-9a-f]{2}\/[0-9a-f]{62}$/.test(e))).toBe(true);
    expect(entries.map((e) => sha(readFileSync(join(root, e)))).sort()).toEqual([sha(body), sha(ranged)].sort());
    // a third staging finds them
    expect(await s3Store.stageIn(u, join(tempDir(), "data"), "data_dir", { s3 })).toMatchObject({ files: 0, skipped: 2 });
  });
});
