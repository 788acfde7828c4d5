import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type HttpForwardProxy,
  type S3FidelityProxy,
  type S3TestServer,
  startHttpForwardProxy,
  startS3FidelityProxy,
  startS3Server,
  startTlsFront,
  type TlsFront,
  freePort,
  isolatedEnv,
  tempDir,
} from "@aves2/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { storeFor } from "../src/stores.js";
import type { S3Settings } from "../src/s3/settings.js";
import { parseUri } from "../src/uri.js";

// The staging engine against test servers that behave as AWS S3, MinIO, Ceph and OSS do where
// s3rver does not (packages/testkit: the S3 fidelity proxy, a forward HTTP proxy, a TLS front):
// signatures checked, real multipart and KMS ETags, V1-only listings, regions, a skewed clock.

const MiB = 1024 * 1024;
let server: S3TestServer;
let fidelity: S3FidelityProxy;
let s3: S3Settings;
const saved = { ...process.env };
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startS3Server({ buckets: ["real"] });
  // the stores read credentials, config and proxies from the process: none of this machine's, only the server's
  process.env = { ...isolatedEnv(), ...server.env({ AVES2_CACHE_DIR: tempDir("aves2-cache-"), AVES2_S3_RETRY_SECONDS: "3" }) };
  fidelity = await startS3FidelityProxy(server.endpoint);
  s3 = { endpoint: fidelity.url, region: "us-east-1", pathStyle: true };
}, 60_000);

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

afterAll(async () => {
  process.env = saved;
  await fidelity?.stop();
  await server?.stop();
});

const uri = (s: string) => parseUri(s, "test", "/");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function folder(files: Record<string, Buffer | string>): string {
  const dir = tempDir("aves2-real-");
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return dir;
}

async function stageIn(from: string, settings = s3) {
  const into = join(tempDir(), "in");
  const u = uri(from);
  const t = await storeFor(u, "in").stageIn(u, into, "in", { s3: settings });
  return { t, into };
}

describe("signatures a real server checks", () => {
  it("stages out and in through a server that verifies every SigV4 signature, odd keys included", async () => {
    const names = ["a b.txt", "ünï cødé.txt", "plus+eq=amp&.txt", "paren(1)!'*~.txt", "sub dir/percent%20.txt"];
    const src = folder(Object.fromEntries(names.map((n) => [n, `content of ${n}`])));
    const dest = uri("s3://real/signed/");
    expect(await storeFor(dest, "out").stageOut(src, dest, "out", { s3 })).toMatchObject({ files: names.length });
    const { t, into } = await stageIn("s3://real/signed/");
    expect(t.files).toBe(names.length);
    for (const n of names) expect(readFileSync(join(into, n), "utf8")).toBe(`content of ${n}`);
  });

  it("a wrong secret is refused by the server and explained, naming where the credentials came from, never their value", async () => {
    const strict = await startS3FidelityProxy(server.endpoint, { credentials: { S3RVER: "the-real-secret" } });
    cleanups.push(() => strict.stop());
    const e = await stageIn("s3://real/signed/", { ...s3, endpoint: strict.url }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect(String(e)).toMatch(/the secret access key does not match the access key id at http:\/\/127\.0\.0\.1:\d+ \(credentials from AWS_ACCESS_KEY_ID in the environment\)/);
    expect(String(e)).not.toContain(process.env.AWS_SECRET_ACCESS_KEY!);
  });
});

describe("multipart and encrypted objects, checked as far as their ETag allows", () => {
  it("checks objects uploaded in 5, 15 and 16 MiB parts by the part size the server gives, whole and in ranges", async () => {
    // 15 and 16 MiB parts are what a guess (the smallest whole MiB giving N parts) gets wrong
    const objects = [
      { key: "mp/five.bin", body: randomBytes(11 * MiB + 1), part: 5 * MiB },
      { key: "mp/fifteen.bin", body: randomBytes(40 * MiB + 1), part: 15 * MiB },
      { key: "mp/sixteen.bin", body: randomBytes(20 * MiB), part: 16 * MiB },
    ];
    for (const o of objects) expect(await fidelity.putMultipartObject("real", o.key, o.body, o.part)).toMatch(/^"[0-9a-f]{32}-\d+"$/);
    const { t, into } = await stageIn("s3://real/mp/");
    expect(t).toMatchObject({ files: 3 });
    expect(t.unverified ?? 0).toBe(0);
    for (const o of objects) expect(sha(readFileSync(join(into, o.key.slice(3))))).toBe(sha(o.body));
    // each was checked by its own part size, read from a HEAD of part 1
    expect(fidelity.seen.filter((r) => r.startsWith("HEAD /real/mp/") && r.endsWith("?partNumber=1"))).toHaveLength(3);
  }, 120_000);

  it("an SSE-KMS object (ETag no MD5) is downloaded and said to be checked by size only, not failed", async () => {
    const body = randomBytes(300_000);
    await fidelity.putKmsObject("real", "kms/secret.bin", body);
    const { t, into } = await stageIn("s3://real/kms/");
    expect(t).toMatchObject({ files: 1, unverified: 1 });
    expect(sha(readFileSync(join(into, "secret.bin")))).toBe(sha(body));
  });

  it("uploads into a bucket that encrypts with KMS, where the stored ETag is not the MD5 sent", async () => {
    fidelity.setBucketEncryption("real", "aws:kms");
    cleanups.push(async () => fidelity.setBucketEncryption("real", undefined));
    const src = folder({ "small.txt": "tiny", "large.bin": randomBytes(17 * MiB) });
    const dest = uri("s3://real/kms-out/");
    expect(await storeFor(dest, "out").stageOut(src, dest, "out", { s3 })).toMatchObject({ files: 2 });
  }, 60_000);
});

describe("listings, regions and clocks as real servers have them", () => {
  it("stages every object from a server that ignores list-type=2, paging by marker", async () => {
    const files = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f-${String(i).padStart(2, "0")}.txt`, `file ${i}`]));
    const dest = uri("s3://real/v1/");
    await storeFor(dest, "out").stageOut(folder(files), dest, "out", { s3 });
    fidelity.ignoreListV2(true);
    fidelity.setMaxKeys(10);
    cleanups.push(async () => {
      fidelity.ignoreListV2(false);
      fidelity.setMaxKeys(1000);
    });
    const { t, into } = await stageIn("s3://real/v1/");
    expect(t.files + (t.skipped ?? 0)).toBe(25);
    for (const [rel, text] of Object.entries(files)) expect(readFileSync(join(into, rel), "utf8")).toBe(text);
    expect(fidelity.seen.some((r) => r.startsWith("GET /real/?marker=v1%2Ff-09.txt"))).toBe(true);
  });

  it("follows a bucket's 301 to its region, once, and goes on there", async () => {
    const dest = uri("s3://real/region/");
    await storeFor(dest, "out").stageOut(folder({ "r.txt": "in eu" }), dest, "out", { s3 });
    fidelity.setBucketRegion("real", "eu-west-1");
    cleanups.push(async () => fidelity.setBucketRegion("real", undefined));
    const before = fidelity.seen.length;
    const { into } = await stageIn("s3://real/region/", { ...s3, region: "us-west-2" });
    expect(readFileSync(join(into, "r.txt"), "utf8")).toBe("in eu");
    // one request went to the wrong region; everything after it to the right one
    const redirects = fidelity.seen.slice(before).length;
    expect(redirects).toBeGreaterThan(1);
  });

  it("signs by the server's clock when this machine's is two hours off", async () => {
    const dest = uri("s3://real/clock/");
    await storeFor(dest, "out").stageOut(folder({ "c.txt": "on time" }), dest, "out", { s3 });
    fidelity.setClockOffset(2 * 3600_000);
    cleanups.push(async () => fidelity.setClockOffset(0));
    const { into } = await stageIn("s3://real/clock/", { ...s3, region: "eu-central-1" });
    expect(readFileSync(join(into, "c.txt"), "utf8")).toBe("on time");
  });
});

describe("through proxies, as aws-cli honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY", () => {
  let proxy: HttpForwardProxy;
  let tls: TlsFront;
  beforeAll(async () => {
    proxy = await startHttpForwardProxy();
    tls = await startTlsFront(fidelity.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await tls?.stop();
  });
  const withEnv = (vars: Record<string, string>) => {
    const before = { ...process.env };
    Object.assign(process.env, vars);
    cleanups.push(async () => {
      process.env = before;
    });
  };

  it("plain http through HTTP_PROXY as absolute-form requests; NO_PROXY bypasses it", async () => {
    const dest = uri("s3://real/proxied/");
    await storeFor(dest, "out").stageOut(folder({ "p.txt": "via proxy" }), dest, "out", { s3 });
    withEnv({ HTTP_PROXY: proxy.url, NO_PROXY: "" });
    const { into } = await stageIn("s3://real/proxied/", { ...s3, region: "us-east-2" });
    expect(readFileSync(join(into, "p.txt"), "utf8")).toBe("via proxy");
    expect(proxy.seen.filter((r) => r.kind === "plain" && r.target.startsWith(`${fidelity.url}/real/`)).length).toBeGreaterThan(0);
    const seen = proxy.seen.length;
    withEnv({ NO_PROXY: "127.0.0.1" });
    await stageIn("s3://real/proxied/", { ...s3, region: "us-east-2" });
    expect(proxy.seen.length).toBe(seen);
  });

  it("https through HTTPS_PROXY in a CONNECT tunnel, trusting AWS_CA_BUNDLE", async () => {
    withEnv({ HTTPS_PROXY: proxy.url, AWS_CA_BUNDLE: tls.caFile });
    const before = proxy.seen.length;
    const { into } = await stageIn("s3://real/proxied/", { ...s3, endpoint: tls.endpoint });
    expect(readFileSync(join(into, "p.txt"), "utf8")).toBe("via proxy");
    expect(proxy.seen.slice(before).some((r) => r.kind === "connect" && r.target === new URL(tls.endpoint).host)).toBe(true);
  });

  it("a proxy that wants credentials: refused clearly without, through with user:password in the URL", async () => {
    const guarded = await startHttpForwardProxy({ requireAuth: { user: "alice", pass: "s3cret" } });
    cleanups.push(() => guarded.stop());
    withEnv({ HTTP_PROXY: guarded.url });
    const e = await stageIn("s3://real/proxied/", { ...s3, region: "sa-east-1" }).catch((x: unknown) => x);
    expect(String(e)).toMatch(/the HTTP proxy refused the request to http:\/\/127\.0\.0\.1:\d+: it wants credentials \(407\)/);
    withEnv({ HTTP_PROXY: guarded.url.replace("http://", "http://alice:s3cret@") });
    const { into } = await stageIn("s3://real/proxied/", { ...s3, region: "sa-east-1" });
    expect(readFileSync(join(into, "p.txt"), "utf8")).toBe("via proxy");
  });

  it("a proxy that is down is named in the error, without its credentials", async () => {
    const dead = await freePort(); // nothing listens there
    withEnv({ HTTP_PROXY: `http://alice:s3cret@127.0.0.1:${dead}`, NO_PROXY: "", AVES2_S3_RETRY_SECONDS: "1" });
    const e = await stageIn("s3://real/proxied/", { ...s3, region: "ca-central-1" }).catch((x: unknown) => x);
    expect(String(e)).toMatch(new RegExp(`cannot reach the S3 endpoint http://127\\.0\\.0\\.1:\\d+ through the proxy http://127\\.0\\.0\\.1:${dead} \\(ECONNREFUSED\\)`));
    expect(String(e)).not.toContain("s3cret");
  });
});
