import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { isolatedEnv, type S3TestServer, startS3Server, tempDir, writeArchive } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { MARKER } from "../src/completion-marker.js";
import { storeFor } from "../src/stores.js";
import type { RemoteTree } from "../src/remote.js";
import type { S3Settings } from "../src/s3/settings.js";
import { objectUrl } from "../src/s3/transport.js";
import type { TransferUpdate } from "../src/store.js";
import { filesOf } from "../src/sync.js";
import { parseUri } from "../src/uri.js";

/** Every file under `dir`, relative path → SHA-256. */
function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(p.slice(dir.length + 1), createHash("sha256").update(readFileSync(p)).digest("hex"));
  }
  return out;
}

function smallFiles(n: number): string {
  const dir = tempDir("aves2-small-");
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `class-${i % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `img-${i}.bin`), randomBytes(64 + (i % 50) * 37));
  }
  return dir;
}

let server: S3TestServer;
let s3: S3Settings;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startS3Server({ buckets: ["aves2"] });
  // the stores read credentials and config from the process: none of this machine's, only the server's
  process.env = { ...isolatedEnv(), ...server.env({ AVES2_CACHE_DIR: tempDir("aves2-cache-") }) };
  s3 = { endpoint: server.endpoint, region: "us-east-1", pathStyle: true };
});

afterAll(async () => {
  process.env = saved;
  await server?.stop();
});

const uri = (s: string) => parseUri(s, "test", "/");

/** Kills the server at the first progress update `when` accepts and starts it again 1.5 s later, with its data. */
function outageWhen(when: (u: TransferUpdate) => boolean) {
  let restarted: Promise<void> | undefined;
  return {
    progress: (u: TransferUpdate) => {
      if (!restarted && when(u)) restarted = server.kill().then(() => new Promise((r) => setTimeout(r, 1500)).then(() => server.restart()));
    },
    /** Whether it happened, once the server is back. */
    async happened(): Promise<boolean> {
      await restarted;
      return restarted !== undefined;
    },
  };
}

/** What a stage-in of `from` brings back (relative path → SHA-256), the marker left out. */
async function stagedBack(store: ReturnType<typeof storeFor>, from: ReturnType<typeof uri>): Promise<Map<string, string>> {
  const into = join(tempDir(), "back");
  await store.stageIn(from, into, "back", { s3 });
  const got = digest(into);
  got.delete(MARKER);
  return got;
}

describe("S3 store against s3rver", () => {
  it("round-trips 1000 small files byte-identical, with a manifest marker written last; a re-run moves nothing", async () => {
    const src = smallFiles(1000);
    const dest = uri("s3://aves2/rt/small/");
    const store = storeFor(dest, "out");
    const updates: TransferUpdate[] = [];
    const out = await store.stageOut(src, dest, "result_dir", { s3, marker: { runId: "r-1" }, progress: (u) => updates.push(u) });
    expect(out).toMatchObject({ direction: "out", files: 1000, skipped: 0, marker: MARKER, method: "upload" });
    expect(updates.at(-1)).toMatchObject({ done: true, files: 1001, totalFiles: 1001 });

    // what a reader of the bucket sees, through the AWS SDK
    const client = server.client();
    const manifest = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: "aves2", Key: "rt/small/_SUCCESS" }))).Body!.transformToString());
    expect(manifest).toMatchObject({ format: "aves2-manifest/1", runId: "r-1" });
    expect(manifest.files).toHaveLength(1000);
    const one = manifest.files.find((f: { path: string }) => f.path === "class-3/img-3.bin");
    expect(one.md5).toBe(createHash("md5").update(readFileSync(join(src, "class-3/img-3.bin"))).digest("hex"));
    const head = await client.send(new HeadObjectCommand({ Bucket: "aves2", Key: "rt/small/class-3/img-3.bin" }));
    expect(head.ETag).toBe(`"${one.md5}"`);

    const into = join(tempDir(), "data");
    const back = await store.stageIn(dest, into, "train", { s3 });
    expect(back).toMatchObject({ direction: "in", files: 1001, skipped: 0 });
    const got = digest(into);
    got.delete(MARKER);
    expect(got).toEqual(digest(src));

    // the content cache: a second stage-in downloads nothing, and its files are read-only links
    const again = join(tempDir(), "data");
    expect(await store.stageIn(dest, again, "train", { s3 })).toMatchObject({ files: 0, skipped: 1001 });
    expect(digest(again)).toEqual(digest(into));
    expect(statSync(join(again, "class-1/img-1.bin")).mode & 0o222).toBe(0);
    // and a second stage-out of the same files uploads nothing
    expect(await store.stageOut(src, dest, "result_dir", { s3, marker: { runId: "r-2" } })).toMatchObject({ files: 0, skipped: 1000, marker: MARKER });
  }, 180_000);

  it("round-trips a 100 MB file byte-identical (multipart up, parallel ranges down), checked against its ETag", async () => {
    const src = tempDir("aves2-big-");
    const block = randomBytes(1024 * 1024);
    const big = Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.concat([block.subarray(i), block.subarray(0, i)])));
    writeFileSync(join(src, "weights.bin"), big);
    const dest = uri("s3://aves2/rt/big/");
    const store = storeFor(dest, "out");
    expect(await store.stageOut(src, dest, "ckpt", { s3 })).toMatchObject({ files: 1, bytes: big.length });
    const head = await server.client().send(new HeadObjectCommand({ Bucket: "aves2", Key: "rt/big/weights.bin" }));
    expect(head.ContentLength).toBe(big.length);
    const into = join(tempDir(), "ckpt");
    expect(await store.stageIn(dest, into, "ckpt", { s3 })).toMatchObject({ files: 1, bytes: big.length });
    expect(createHash("sha256").update(readFileSync(join(into, "weights.bin"))).digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
  }, 120_000);

  it("rides out a server that dies mid-transfer and comes back: the transfer completes, data identical", async () => {
    const src = smallFiles(600);
    const dest = uri("s3://aves2/outage/up/");
    const store = storeFor(dest, "out");
    const outage = outageWhen((u) => u.files >= 150);
    const t = await store.stageOut(src, dest, "result_dir", { s3, marker: {}, progress: outage.progress });
    expect(await outage.happened()).toBe(true);
    expect(t.retries).toBeGreaterThan(0);
    expect(t).toMatchObject({ files: 600, marker: MARKER });
    expect(await stagedBack(store, dest)).toEqual(digest(src));
  }, 120_000);

  it("rides out a server that dies mid-download and comes back: ranges and small files complete, data identical", async () => {
    const src = smallFiles(300);
    const big = randomBytes(40 * 1024 * 1024); // above the ranged-download threshold
    writeFileSync(join(src, "weights.bin"), big);
    const at = uri("s3://aves2/outage/down/");
    const store = storeFor(at, "in");
    await store.stageOut(src, at, "result_dir", { s3 });
    const outage = outageWhen((u) => u.bytes >= 8 * 1024 * 1024);
    const into = join(tempDir(), "back");
    const t = await store.stageIn(at, into, "data", { s3, progress: outage.progress });
    expect(await outage.happened()).toBe(true);
    expect(t.retries).toBeGreaterThan(0);
    expect(t.files).toBe(301);
    expect(digest(into)).toEqual(digest(src));
  }, 120_000);

  it("a transfer cut off for good fails clearly without a marker; run again, it sends only what is missing", async () => {
    const src = smallFiles(400);
    const dest = uri("s3://aves2/outage/resume/");
    const store = storeFor(dest, "out");
    process.env.AVES2_S3_RETRY_SECONDS = "1";
    let killed = false;
    try {
      const err = await store
        .stageOut(src, dest, "result_dir", {
          s3,
          marker: {},
          progress: (u) => {
            if (!killed && u.files >= 100) {
              killed = true;
              void server.kill();
            }
          },
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(String(err)).toMatch(/cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:\d+ \(ECONN(REFUSED|RESET)\)/);
    } finally {
      delete process.env.AVES2_S3_RETRY_SECONDS;
      await server.restart();
    }
    const client = server.client();
    const marker = await client.send(new HeadObjectCommand({ Bucket: "aves2", Key: "outage/resume/_SUCCESS" })).catch(() => undefined);
    expect(marker).toBeUndefined();

    const again = await store.stageOut(src, dest, "result_dir", { s3, marker: {} });
    expect(again.skipped).toBeGreaterThanOrEqual(100);
    expect(again.files + again.skipped!).toBe(400);
    expect(again.marker).toBe(MARKER);
    expect(await stagedBack(store, dest)).toEqual(digest(src));
  }, 120_000);

  it("unpacks an archive input (.tar.gz) and refuses a malicious one, writing nothing outside", async () => {
    const work = tempDir();
    const good = writeArchive(join(work, "good.tar.gz"), [
      { name: "train/", type: "dir" },
      { name: "train/a.txt", content: "alpha" },
      { name: "run.sh", content: "#!/bin/sh\n", mode: 0o755 },
    ]);
    const bad = writeArchive(join(work, "bad.tgz"), [
      { name: "ok.txt", content: "fine" },
      { name: "../../escaped.txt", content: "gotcha" },
    ]);
    const client = server.client();
    await client.send(new PutObjectCommand({ Bucket: "aves2", Key: "arch/good.tar.gz", Body: readFileSync(good) }));
    await client.send(new PutObjectCommand({ Bucket: "aves2", Key: "arch/bad.tgz", Body: readFileSync(bad) }));

    const into = join(tempDir(), "sub", "data");
    const goodUri = uri("s3://aves2/arch/good.tar.gz");
    await storeFor(goodUri, "in").checkInput(goodUri, "in", { s3 });
    expect(await storeFor(goodUri, "in").stageIn(goodUri, into, "data", { s3 })).toMatchObject({ method: "download+unpack", files: 1 });
    expect(readFileSync(join(into, "train/a.txt"), "utf8")).toBe("alpha");
    expect(statSync(join(into, "run.sh")).mode & 0o100).toBe(0o100);

    const parent = tempDir();
    const target = join(parent, "a", "b", "data");
    const badUri = uri("s3://aves2/arch/bad.tgz");
    await expect(storeFor(badUri, "in").stageIn(badUri, target, "data", { s3 })).rejects.toThrow(/archive s3:\/\/aves2\/arch\/bad\.tgz: entry "\.\.\/\.\.\/escaped\.txt" goes up with \.\.; nothing was unpacked/);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(parent, "a", "escaped.txt"))).toBe(false);
    expect(existsSync(join(parent, "escaped.txt"))).toBe(false);
  });

  it("round-trips keys with spaces, unicode and reserved characters (signed as sent, encoded once)", async () => {
    const src = tempDir("aves2-names-");
    const names = ["a b.txt", "ünï cødé.txt", "plus+eq=amp&.txt", "paren(1)!'*~.txt", "semi;colon,comma@at$.txt", "sub dir/percent%20.txt"];
    for (const n of names) {
      mkdirSync(join(src, n, ".."), { recursive: true });
      writeFileSync(join(src, n), `content of ${n}`);
    }
    const dest = uri("s3://aves2/names/");
    const store = storeFor(dest, "out");
    expect(await store.stageOut(src, dest, "out", { s3 })).toMatchObject({ files: names.length });
    const head = await server.client().send(new HeadObjectCommand({ Bucket: "aves2", Key: "names/paren(1)!'*~.txt" }));
    expect(head.ContentLength).toBe("content of paren(1)!'*~.txt".length);
    const into = join(tempDir(), "names");
    expect(await store.stageIn(dest, into, "in", { s3 })).toMatchObject({ files: names.length });
    expect(digest(into)).toEqual(digest(src));
  });

  it("addresses objects path-style or virtual-hosted, as the settings say", () => {
    expect(objectUrl({ region: "eu-west-1", pathStyle: false }, "bkt", "a b/c+d.txt")).toMatchObject({ path: "/a%20b/c%2Bd.txt" });
    expect(objectUrl({ region: "eu-west-1", pathStyle: false }, "bkt", "k").url.host).toBe("bkt.s3.eu-west-1.amazonaws.com");
    expect(objectUrl({ endpoint: "https://oss-cn-beijing.aliyuncs.com", region: "cn", pathStyle: false }, "bkt", "k").url.host).toBe("bkt.oss-cn-beijing.aliyuncs.com");
    // a dotted bucket is not a valid TLS hostname under the wildcard: path-style
    expect(objectUrl({ region: "us-east-1", pathStyle: false }, "my.bucket", "k")).toMatchObject({ path: "/my.bucket/k" });
    const local = objectUrl({ endpoint: "http://127.0.0.1:9000", region: "us-east-1", pathStyle: true }, "bkt", "x/y");
    expect([local.url.host, local.path]).toEqual(["127.0.0.1:9000", "/bkt/x/y"]);
  });

  it("refuses object keys that would land outside the folder, before downloading anything", () => {
    // s3rver normalizes such keys away; real S3 stores them as they are, so the guard is checked on a listing
    const remote = { label: "s3://aves2/keys/" } as RemoteTree;
    const obj = (rel: string) => ({ rel, size: 1, etag: "x" });
    // a zero-byte key ending in / is a folder placeholder, not a file
    expect(filesOf(remote, [obj("ok.txt"), { rel: "sub/", size: 0, etag: "x" }])).toEqual([obj("ok.txt")]);
    expect(() => filesOf(remote, [obj("ok.txt"), obj("sub/../../../evil.txt")])).toThrow(
      /s3:\/\/aves2\/keys\/ has keys that cannot be files in a folder: "sub\/\.\.\/\.\.\/\.\.\/evil\.txt" goes up with \.\./,
    );
    expect(() => filesOf(remote, [obj("/etc/passwd")])).toThrow(/"\/etc\/passwd" is an absolute path/);
    expect(() => filesOf(remote, [obj("a"), obj("a/b")])).toThrow(/"a" is both an object and a folder of other objects/);
  });
});

describe("S3 preflight checks give one clear error each", () => {
  const check = (raw: string, role: "input" | "output", settings: S3Settings = s3) => {
    const u = uri(raw);
    const store = storeFor(u, "--input x");
    return role === "input" ? store.checkInput(u, "--input x", { s3: settings }) : store.checkOutput(u, "--output y", { s3: settings });
  };

  it("a missing bucket", async () => {
    await expect(check("s3://no-such-bucket/data/", "input")).rejects.toThrow(`--input x: bucket "no-such-bucket" does not exist at ${server.endpoint}`);
    await expect(check("s3://no-such-bucket/out/", "output")).rejects.toThrow(/--output y: bucket "no-such-bucket" does not exist/);
  });

  it("an empty prefix, a missing archive, a bucket without a key", async () => {
    await expect(check("s3://aves2/nothing-here/", "input")).rejects.toThrow(/s3:\/\/aves2\/nothing-here\/ is empty: no objects under this prefix/);
    await expect(check("s3://aves2/nothing.tar.gz", "input")).rejects.toThrow(/archive s3:\/\/aves2\/nothing\.tar\.gz does not exist/);
    await expect(check("s3://aves2", "input")).rejects.toThrow(/s3:\/\/aves2 has no key or prefix after the bucket/);
    await expect(check("s3://aves2/out.zip", "output")).rejects.toThrow(/names an archive; outputs are saved as folders/);
  });

  it("wrong credentials, naming where they came from but never their value", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAWRONGWRONG";
    process.env.AWS_SECRET_ACCESS_KEY = "very-secret-value";
    try {
      const e = await check("s3://aves2/rt/small/", "input").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect(String(e)).toContain(`the access key id is not known at ${server.endpoint} (credentials from AWS_ACCESS_KEY_ID in the environment)`);
      expect(String(e)).not.toContain("very-secret-value");
      expect(String(e)).not.toContain("AKIAWRONGWRONG");
    } finally {
      Object.assign(process.env, server.env());
    }
  });

  // how long it takes to give up is measured by `pnpm bench credentials`, not asserted here
  it("an unreachable endpoint fails, naming it", async () => {
    await expect(check("s3://aves2/data/", "input", { ...s3, endpoint: "http://127.0.0.1:9" })).rejects.toThrow(/cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });

  it("an output prefix that can be written passes, and leaves nothing behind", async () => {
    await check("s3://aves2/writable/out/", "output");
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const page = await server.client().send(new ListObjectsV2Command({ Bucket: "aves2", Prefix: "writable/" }));
    expect(page.KeyCount ?? 0).toBe(0);
  });
});
