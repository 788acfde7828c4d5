import { createHash, createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type S3FidelityProxy, startS3FidelityProxy } from "../src/s3-fidelity-proxy.js";
// s3rver runs from the built dist (its entry is spawned as a .js file)
import { type S3TestServer, startS3Server } from "../dist/s3-server.js";

const AK = "AKIDFIDELITY";
const SECRET = "fidelity/secret+KEY";
const MiB = 1024 * 1024;

let s3: S3TestServer;
let proxy: S3FidelityProxy;
const clients: S3Client[] = [];

function client(extra: Partial<S3ClientConfig> = {}): S3Client {
  const c = new S3Client({
    endpoint: proxy.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey: SECRET },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...extra,
  });
  clients.push(c);
  return c;
}

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}
type Next = (args: { request: { body?: unknown; headers: Record<string, string> } }) => Promise<{ response: RawResponse }>;

/** Adds a middleware to the client's stack, right after (inside) the one named. */
function intercept(c: S3Client, after: string, name: string, f: (next: Next) => Next): void {
  const stack = c.middlewareStack as unknown as { addRelativeTo(m: (next: Next) => Next, o: { relation: "after"; toMiddleware: string; name: string }): void };
  stack.addRelativeTo(f, { relation: "after", toMiddleware: after, name });
}

/** The raw answers (status, headers, error body) a client gets, whatever the SDK makes of them. */
function recordResponses(c: S3Client): { status: number; headers: Record<string, string>; body: string }[] {
  const seen: { status: number; headers: Record<string, string>; body: string }[] = [];
  intercept(c, "deserializerMiddleware", "recordResponses", (next) => async (args) => {
    const out = await next(args);
    const r = out.response;
    let body = "";
    if (r.statusCode >= 300 && r.body && typeof (r.body as Readable).pipe === "function") {
      const chunks: Buffer[] = [];
      for await (const chunk of r.body as Readable) chunks.push(Buffer.from(chunk as Buffer));
      body = Buffer.concat(chunks).toString("utf8");
      r.body = Readable.from([Buffer.from(body)]);
    }
    seen.push({ status: r.statusCode, headers: { ...r.headers }, body });
    return out;
  });
  return seen;
}

const md5 = (b: Buffer) => createHash("md5").update(b).digest();

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ["b", "list", "mp", "eu"] });
  proxy = await startS3FidelityProxy(s3.endpoint, { credentials: { [AK]: SECRET } });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.stop();
  await s3?.stop();
});

describe("SigV4 verification", () => {
  const key = "dir with space/ü+x/!'()*~ key.txt";

  it("accepts what the AWS SDK signs: PutObject, ranged GetObject, ListObjectsV2 with an encoded prefix, a multipart upload", async () => {
    const c = client();
    await c.send(new PutObjectCommand({ Bucket: "b", Key: key, Body: "hello world" }));
    const got = await c.send(new GetObjectCommand({ Bucket: "b", Key: key, Range: "bytes=2-5" }));
    expect(await got.Body!.transformToString()).toBe("llo ");
    expect(got.ContentRange).toBe("bytes 2-5/11");

    await c.send(new PutObjectCommand({ Bucket: "b", Key: "a b/ü+x/1", Body: "1" }));
    await c.send(new PutObjectCommand({ Bucket: "b", Key: "a b/üx/2", Body: "2" }));
    const listed = await c.send(new ListObjectsV2Command({ Bucket: "b", Prefix: "a b/ü+x" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["a b/ü+x/1"]);

    const part1 = Buffer.alloc(5 * MiB, 1);
    const part2 = Buffer.from("the last part");
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: "b", Key: key }));
    const p1 = await c.send(new UploadPartCommand({ Bucket: "b", Key: key, UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await c.send(new UploadPartCommand({ Bucket: "b", Key: key, UploadId, PartNumber: 2, Body: part2 }));
    const done = await c.send(
      new CompleteMultipartUploadCommand({ Bucket: "b", Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }),
    );
    // a real server's ETag for an upload in parts, not s3rver's MD5 of the whole
    const expected = `"${createHash("md5").update(Buffer.concat([md5(part1), md5(part2)])).digest("hex")}-2"`;
    expect(done.ETag).toBe(expected);
    expect((await c.send(new HeadObjectCommand({ Bucket: "b", Key: key }))).ETag).toBe(expected);
    expect(proxy.seen).toContain(`GET /b/?list-type=2&prefix=a%20b%2F%C3%BC%2Bx`);
  });

  it("accepts the SDK's aws-chunked uploads with trailing checksums and stores the decoded bytes", async () => {
    const c = client({ requestChecksumCalculation: "WHEN_SUPPORTED" });
    const data = Buffer.from("streamed through aws-chunked ".repeat(1000));
    await c.send(new PutObjectCommand({ Bucket: "b", Key: "chunked", Body: Readable.from([data.subarray(0, 5000), data.subarray(5000)]), ContentLength: data.length }));
    const back = await fetch(`${s3.endpoint}/b/chunked`);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    expect(back.headers.get("content-encoding")).toBeNull();
  });

  it("refuses a wrong secret, an unknown key and an unsigned request as AWS does", async () => {
    const wrong = client({ credentials: { accessKeyId: AK, secretAccessKey: "not-the-secret" }, maxAttempts: 1 });
    const raw = recordResponses(wrong);
    const e = await wrong.send(new GetObjectCommand({ Bucket: "b", Key: key })).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } });
    expect(raw.at(-1)!.body).toMatch(/^<\?xml[^>]*>\n<Error><Code>SignatureDoesNotMatch<\/Code><Message>The request signature we calculated does not match/);
    expect(raw.at(-1)!.body).toContain("<CanonicalRequest>GET\n/b/dir%20with%20space/%C3%BC%2Bx/%21%27%28%29%2A~%20key.txt\nx-id=GetObject\n");

    // a large body is sent with Expect: 100-continue: the refusal comes before it
    const big = await wrong.send(new PutObjectCommand({ Bucket: "b", Key: "refused", Body: Buffer.alloc(3 * MiB) })).catch((x: unknown) => x);
    expect(big).toMatchObject({ name: "SignatureDoesNotMatch" });
    expect(proxy.seen).toContain("PUT /b/refused?x-id=PutObject");
    expect((await fetch(`${s3.endpoint}/b/refused`)).status).toBe(404);

    const unknown = client({ credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: SECRET }, maxAttempts: 1 });
    expect(await unknown.send(new GetObjectCommand({ Bucket: "b", Key: key })).catch((x: unknown) => x)).toMatchObject({ name: "InvalidAccessKeyId" });

    const anonymous = await fetch(`${proxy.url}/b/chunked`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("accepts temporary credentials with their session token, and refuses a wrong token where one is required", async () => {
    const sts = await startS3FidelityProxy(s3.endpoint, { credentials: { ASIATEMP: "temp-secret" }, sessionTokens: { ASIATEMP: "the-token" } });
    try {
      const withToken = (sessionToken: string) => client({ endpoint: sts.url, maxAttempts: 1, credentials: { accessKeyId: "ASIATEMP", secretAccessKey: "temp-secret", sessionToken } });
      expect((await withToken("the-token").send(new HeadObjectCommand({ Bucket: "b", Key: "chunked" }))).ContentLength).toBeGreaterThan(0);
      expect(await withToken("another").send(new HeadObjectCommand({ Bucket: "b", Key: "chunked" })).catch((x: unknown) => x)).toMatchObject({ $metadata: { httpStatusCode: 403 } });
      expect(await withToken("another").send(new GetObjectCommand({ Bucket: "b", Key: "chunked" })).catch((x: unknown) => x)).toMatchObject({ name: "InvalidToken" });
    } finally {
      await sts.stop();
    }
  });

  it("refuses a body that is not the one whose sha256 was signed", async () => {
    const c = client({ maxAttempts: 1 });
    intercept(c, "awsAuthMiddleware", "tamper", (next) => async (args) => {
      args.request.body = Buffer.from("jello world");
      return next(args);
    });
    const e = await c.send(new PutObjectCommand({ Bucket: "b", Key: "tampered", Body: Buffer.from("hello world") })).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "XAmzContentSHA256Mismatch", $metadata: { httpStatusCode: 400 } });
    expect((await fetch(`${s3.endpoint}/b/tampered`)).status).toBe(404);
  });

  it("checks Content-MD5 and x-amz-checksum-* against the body (s3rver stores a body whose Content-MD5 is wrong)", async () => {
    const c = client({ maxAttempts: 1 });
    const wrongMd5 = md5(Buffer.from("something else")).toString("base64");
    expect(await c.send(new PutObjectCommand({ Bucket: "b", Key: "digest", Body: "the body", ContentMD5: wrongMd5 })).catch((x: unknown) => x)).toMatchObject({ name: "BadDigest" });
    expect(await c.send(new PutObjectCommand({ Bucket: "b", Key: "digest", Body: "the body", ChecksumCRC32: "AAAAAA==" })).catch((x: unknown) => x)).toMatchObject({ name: "BadDigest" });
    expect((await fetch(`${s3.endpoint}/b/digest`)).status).toBe(404);
    await c.send(new PutObjectCommand({ Bucket: "b", Key: "digest", Body: "the body", ContentMD5: md5(Buffer.from("the body")).toString("base64") }));
  });

  it("refuses an unsigned x-amz-* header and accepts a presigned URL", async () => {
    const c = client({ maxAttempts: 1 });
    intercept(c, "awsAuthMiddleware", "late", (next) => async (args) => {
      args.request.headers["x-amz-meta-late"] = "added after signing";
      return next(args);
    });
    expect(await c.send(new PutObjectCommand({ Bucket: "b", Key: "late", Body: "x" })).catch((x: unknown) => x)).toMatchObject({ name: "AccessDenied" });

    // a known-good presigner: the SDK's own
    const { SignatureV4 } = createRequire(createRequire(import.meta.url).resolve("@aws-sdk/client-s3"))("@smithy/signature-v4") as { SignatureV4: new (o: object) => Presigner };
    const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: { accessKeyId: AK, secretAccessKey: SECRET }, sha256: Sha256, uriEscapePath: false });
    const host = new URL(proxy.url).host;
    const presigned = await signer.presign({ method: "GET", protocol: "http:", hostname: "127.0.0.1", port: Number(new URL(proxy.url).port), path: "/b/chunked", query: {}, headers: { host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }, { expiresIn: 60 });
    const qs = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    expect(qs).toMatch(/x-amz-content-sha256=UNSIGNED-PAYLOAD/i);
    const ok = await fetch(`${proxy.url}${presigned.path}?${qs}`);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const bad = await fetch(`${proxy.url}${presigned.path}?${qs.replace(/X-Amz-Signature=[0-9a-f]/, "X-Amz-Signature=x")}`);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
  });
});

interface Presigner {
  presign(
    req: { method: string; protocol: string; hostname: string; port: number; path: string; query: Record<string, string>; headers: Record<string, string> },
    o: { expiresIn: number },
  ): Promise<{ path: string; query?: Record<string, string | string[]> }>;
}

/** A sha256 for the presigner (node:crypto behind the SDK's Checksum interface). */
class Sha256 {
  private readonly h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | Uint8Array) {
    this.h = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(data: string | Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
  reset() {}
}

describe("the proxy's clock", () => {
  it("answers a request more than 15 minutes off with RequestTimeTooSkewed and its own Date, by which the SDK corrects itself", async () => {
    proxy.setClockOffset(30 * 60_000);
    try {
      const once = client({ maxAttempts: 1 });
      const raw = recordResponses(once);
      // the proxy's Date lies 30 minutes ahead of the clock as it was during the request (HTTP dates have whole seconds)
      const before = Date.now();
      const e = await once.send(new HeadObjectCommand({ Bucket: "b", Key: "chunked" })).catch((x: unknown) => x);
      const after = Date.now();
      expect(e).toMatchObject({ $metadata: { httpStatusCode: 403 } });
      const serverDate = new Date(raw.at(-1)!.headers.date!).getTime();
      expect(serverDate).toBeGreaterThanOrEqual(Math.floor((before + 30 * 60_000) / 1000) * 1000);
      expect(serverDate).toBeLessThanOrEqual(after + 30 * 60_000);

      const plain = client({ maxAttempts: 1 });
      const got = recordResponses(plain);
      await plain.send(new GetObjectCommand({ Bucket: "b", Key: "chunked" })).catch(() => undefined);
      expect(got.at(-1)!.status).toBe(403);
      expect(got.at(-1)!.body).toMatch(/<Code>RequestTimeTooSkewed<\/Code>.*<RequestTime>\d{8}T\d{6}Z<\/RequestTime><ServerTime>[^<]+<\/ServerTime>/s);

      // with retries, the SDK reads the Date header, shifts its clock and signs again
      const retrying = client({ maxAttempts: 3 });
      expect((await retrying.send(new HeadObjectCommand({ Bucket: "b", Key: "chunked" }))).ContentLength).toBeGreaterThan(0);
    } finally {
      proxy.setClockOffset(0);
    }
  });
});

describe("bucket regions", () => {
  it("redirects a request signed for another region with 301 and x-amz-bucket-region, and serves the right one", async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: "eu", Key: "k", Body: "in europe" }));
    proxy.setBucketRegion("eu", "eu-west-1");
    try {
      const us = client({ maxAttempts: 1 });
      const raw = recordResponses(us);
      const e = await us.send(new GetObjectCommand({ Bucket: "eu", Key: "k" })).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: "PermanentRedirect", $metadata: { httpStatusCode: 301 } });
      expect(raw.at(-1)!.headers["x-amz-bucket-region"]).toBe("eu-west-1");
      expect(raw.at(-1)!.body).toMatch(
        /<Error><Code>PermanentRedirect<\/Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint[^<]*<\/Message><Endpoint>[^<]+<\/Endpoint><Bucket>eu<\/Bucket>/,
      );
      // HEAD: the same status and header, no body
      await us.send(new HeadObjectCommand({ Bucket: "eu", Key: "k" })).catch(() => undefined);
      expect(raw.at(-1)).toMatchObject({ status: 301, body: "", headers: { "x-amz-bucket-region": "eu-west-1" } });

      const eu = client({ region: "eu-west-1" });
      expect(await (await eu.send(new GetObjectCommand({ Bucket: "eu", Key: "k" }))).Body!.transformToString()).toBe("in europe");
      // buckets with no region set take any
      expect((await us.send(new HeadObjectCommand({ Bucket: "b", Key: "chunked" }))).ContentLength).toBeGreaterThan(0);
    } finally {
      proxy.setBucketRegion("eu", undefined);
    }
  });
});

describe("listings", () => {
  const keys = Array.from({ length: 25 }, (_, i) => `obj-${String(i).padStart(2, "0")}`);
  beforeAll(async () => {
    const c = s3.client();
    await Promise.all(keys.map((k) => c.send(new PutObjectCommand({ Bucket: "list", Key: k, Body: k }))));
  });

  it("ignores list-type=2 when told, answering V1 pages that go on by marker, setMaxKeys(10) a page", async () => {
    proxy.ignoreListV2(true);
    proxy.setMaxKeys(10);
    try {
      const c = client();
      const v2 = await c.send(new ListObjectsV2Command({ Bucket: "list" }));
      expect(v2.Contents).toHaveLength(10);
      expect(v2.IsTruncated).toBe(true);
      expect(v2.NextContinuationToken).toBeUndefined();
      expect(v2.KeyCount).toBeUndefined();
      const raw = await (await fetch(`${s3.endpoint}/list?list-type=2&max-keys=1`)).text(); // s3rver itself: V2
      expect(raw).toContain("<NextContinuationToken>");

      const all: string[] = [];
      let marker: string | undefined;
      for (let page = 0; page < 5; page++) {
        const r = await c.send(new ListObjectsV2Command({ Bucket: "list", StartAfter: marker }));
        // start-after is ignored too: only the V1 marker moves on
        expect(r.Contents![0]!.Key).toBe("obj-00");
        const v1 = await c.send(new ListObjectsCommand({ Bucket: "list", Marker: marker }));
        expect(v1.NextMarker).toBeUndefined(); // no delimiter: the next marker is the last key
        all.push(...v1.Contents!.map((o) => o.Key!));
        if (!v1.IsTruncated) break;
        marker = v1.Contents!.at(-1)!.Key;
      }
      expect(all).toEqual(keys);

      const byDelimiter = await c.send(new ListObjectsCommand({ Bucket: "list", Delimiter: "/" }));
      expect(byDelimiter.NextMarker).toBe("obj-09");
    } finally {
      proxy.ignoreListV2(false);
      proxy.setMaxKeys(1000);
    }
  });

  it("caps ListObjectsV2 pages too, which then go on by continuation token", async () => {
    proxy.setMaxKeys(10);
    try {
      const c = client();
      const all: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await c.send(new ListObjectsV2Command({ Bucket: "list", ContinuationToken: token, MaxKeys: 500 }));
        expect(r.Contents!.length).toBeLessThanOrEqual(10);
        all.push(...r.Contents!.map((o) => o.Key!));
        token = r.NextContinuationToken;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(all).toEqual(keys);
    } finally {
      proxy.setMaxKeys(1000);
    }
  });

  it("lists keys in UTF-8 byte order across pages, keys that sort before a folder of the same stem included (s3rver-main)", async () => {
    const c = s3.client();
    const names = ["data/x", "data/y", "data-1", "data.csv", "data0", "dataé", "data~"];
    for (const k of names) await c.send(new PutObjectCommand({ Bucket: "b", Key: `order/${k}`, Body: "." }));
    const all: string[] = [];
    let token: string | undefined;
    do {
      const r = await c.send(new ListObjectsV2Command({ Bucket: "b", Prefix: "order/", MaxKeys: 1, ContinuationToken: token }));
      all.push(...(r.Contents ?? []).map((o) => o.Key!.slice("order/".length)));
      token = r.NextContinuationToken;
    } while (token);
    expect(all).toEqual(["data-1", "data.csv", "data/x", "data/y", "data0", "data~", "dataé"]);
    const folders = await c.send(new ListObjectsV2Command({ Bucket: "b", Prefix: "order/", Delimiter: "/" }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["order/data/"]);
  });
});

describe("multipart and SSE-KMS ETags", () => {
  const body = Buffer.alloc(40 * MiB + 1);
  for (let i = 0; i + 4 <= body.length; i += 4096) body.writeUInt32LE((i * 2654435761) >>> 0, i);

  for (const partMiB of [5, 15, 16]) {
    it(`gives an object stored as ${partMiB} MiB parts the multipart ETag, in HEAD and listings, and reads its parts by number`, async () => {
      const partSize = partMiB * MiB;
      const key = `big-${partMiB}`;
      const parts: Buffer[] = [];
      for (let at = 0; at < body.length; at += partSize) parts.push(body.subarray(at, at + partSize));
      const expected = `"${createHash("md5").update(Buffer.concat(parts.map(md5))).digest("hex")}-${parts.length}"`;
      expect(await proxy.putMultipartObject("mp", key, body, partSize)).toBe(expected);

      const c = client();
      const head = await c.send(new HeadObjectCommand({ Bucket: "mp", Key: key }));
      expect(head.ETag).toBe(expected);
      expect(head.ContentLength).toBe(body.length);
      const v2 = await c.send(new ListObjectsV2Command({ Bucket: "mp", Prefix: key }));
      expect(v2.Contents?.map((o) => [o.Key, o.ETag])).toEqual([[key, expected]]);
      const v1 = await c.send(new ListObjectsCommand({ Bucket: "mp", Prefix: key }));
      expect(v1.Contents?.map((o) => o.ETag)).toEqual([expected]);

      let start = 0;
      for (const [i, part] of parts.entries()) {
        const h = await c.send(new HeadObjectCommand({ Bucket: "mp", Key: key, PartNumber: i + 1 }));
        expect(h.$metadata.httpStatusCode).toBe(206);
        expect([h.ContentLength, h.ContentRange, h.PartsCount, h.ETag]).toEqual([part.length, `bytes ${start}-${start + part.length - 1}/${body.length}`, parts.length, expected]);
        start += part.length;
      }
      const last = await c.send(new GetObjectCommand({ Bucket: "mp", Key: key, PartNumber: parts.length }));
      expect(Buffer.from(await last.Body!.transformToByteArray()).equals(parts.at(-1)!)).toBe(true);
      const beyond = await c.send(new HeadObjectCommand({ Bucket: "mp", Key: key, PartNumber: parts.length + 1 })).catch((x: unknown) => x);
      expect(beyond).toMatchObject({ $metadata: { httpStatusCode: 416 } });
      const ranged = await c.send(new GetObjectCommand({ Bucket: "mp", Key: key, Range: `bytes=${partSize - 2}-${partSize + 1}` }));
      expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(partSize - 2, partSize + 2))).toBe(true);
      expect(ranged.ETag).toBe(expected);
    });
  }

  it("gives an SSE-KMS object an ETag that is 32 hex digits but not its MD5, with the encryption header, also in listings", async () => {
    const data = Buffer.from("encrypted at rest with a KMS key");
    const etag = await proxy.putKmsObject("mp", "kms", data);
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(etag).not.toBe(`"${md5(data).toString("hex")}"`);
    const c = client();
    const got = await c.send(new GetObjectCommand({ Bucket: "mp", Key: "kms" }));
    expect([got.ETag, got.ServerSideEncryption, await got.Body!.transformToString()]).toEqual([etag, "aws:kms", data.toString()]);
    const listed = await c.send(new ListObjectsV2Command({ Bucket: "mp", Prefix: "kms" }));
    expect(listed.Contents?.[0]?.ETag).toBe(etag);

    // a PUT asking for SSE-KMS gets the same treatment
    const put = await c.send(new PutObjectCommand({ Bucket: "mp", Key: "kms2", Body: data, ServerSideEncryption: "aws:kms" }));
    expect(put.ETag).not.toBe(`"${md5(data).toString("hex")}"`);
    expect((await c.send(new HeadObjectCommand({ Bucket: "mp", Key: "kms2" }))).ETag).toBe(put.ETag);
    // overwritten without encryption: a plain MD5 again
    await c.send(new PutObjectCommand({ Bucket: "mp", Key: "kms2", Body: data }));
    expect((await c.send(new HeadObjectCommand({ Bucket: "mp", Key: "kms2" }))).ETag).toBe(`"${md5(data).toString("hex")}"`);
  });

  it("refuses to complete an upload whose parts are too small, out of order or not the ones uploaded", async () => {
    const c = client();
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: "mp", Key: "small-parts" }));
    const p1 = await c.send(new UploadPartCommand({ Bucket: "mp", Key: "small-parts", UploadId, PartNumber: 1, Body: Buffer.alloc(1000, 1) }));
    const p2 = await c.send(new UploadPartCommand({ Bucket: "mp", Key: "small-parts", UploadId, PartNumber: 2, Body: Buffer.alloc(10, 2) }));
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      c.send(new CompleteMultipartUploadCommand({ Bucket: "mp", Key: "small-parts", UploadId, MultipartUpload: { Parts } })).catch((x: unknown) => x);
    expect(await complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }])).toMatchObject({ name: "EntityTooSmall" });
    expect(await complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }])).toMatchObject({ name: "InvalidPartOrder" });
    expect(await complete([{ PartNumber: 1, ETag: p2.ETag }])).toMatchObject({ name: "InvalidPart" });
    // one part alone may be small
    const done = await complete([{ PartNumber: 1, ETag: p1.ETag }]);
    expect(done).toMatchObject({ ETag: `"${createHash("md5").update(md5(Buffer.alloc(1000, 1))).digest("hex")}-1"` });
  });
});

describe("ranges and conditions as HTTP means them", () => {
  it("reads bytes=0-0, suffix ranges and unsatisfiable ones as real servers do, and honours If-Match / If-None-Match", async () => {
    const c = client({ maxAttempts: 1 });
    const put = await c.send(new PutObjectCommand({ Bucket: "b", Key: "abc", Body: "abcdefghij" }));
    const read = async (Range: string) => {
      const r = await c.send(new GetObjectCommand({ Bucket: "b", Key: "abc", Range }));
      return [await r.Body!.transformToString(), r.ContentRange];
    };
    expect(await read("bytes=0-0")).toEqual(["a", "bytes 0-0/10"]);
    expect(await read("bytes=-3")).toEqual(["hij", "bytes 7-9/10"]);
    expect(await read("bytes=8-100")).toEqual(["ij", "bytes 8-9/10"]);
    expect(await c.send(new GetObjectCommand({ Bucket: "b", Key: "abc", Range: "bytes=10-" })).catch((x: unknown) => x)).toMatchObject({ name: "InvalidRange" });

    expect(await c.send(new GetObjectCommand({ Bucket: "b", Key: "abc", IfMatch: '"0123456789abcdef0123456789abcdef"' })).catch((x: unknown) => x)).toMatchObject({
      name: "PreconditionFailed",
    });
    expect(await (await c.send(new GetObjectCommand({ Bucket: "b", Key: "abc", IfMatch: put.ETag, Range: "bytes=1-2" }))).Body!.transformToString()).toBe("bc");
    expect(await c.send(new GetObjectCommand({ Bucket: "b", Key: "abc", IfNoneMatch: put.ETag })).catch((x: unknown) => x)).toMatchObject({ $metadata: { httpStatusCode: 304 } });
    expect(await c.send(new PutObjectCommand({ Bucket: "b", Key: "abc", Body: "x", IfNoneMatch: "*" })).catch((x: unknown) => x)).toMatchObject({ name: "PreconditionFailed" });
  });
});
