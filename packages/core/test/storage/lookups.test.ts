import { Agent as HttpAgent, createServer } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { explainS3Error } from "../../src/storage/s3/errors.js";
import { headObject, listPage, parseListPage } from "../../src/storage/s3/lookups.js";
import { completeUpload, createUpload } from "../../src/storage/s3/multipart.js";
import { SocketPool } from "../../src/storage/s3/reads.js";
import { isTransient } from "../../src/storage/retry.js";
import type { WireTarget } from "../../src/storage/s3/wire.js";

// HEAD, ListObjectsV2 and a multipart upload's bookkeeping without the SDK. Against s3rver they are covered by
// every S3 test (s3-store.test.ts); here: what s3rver never sends.

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

type Answer = { status: number; headers?: Record<string, string>; body?: string };

async function serve(answer: (url: string, method: string, body: string) => Answer): Promise<WireTarget> {
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const a = answer(req.url!, req.method!, body);
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const sockets = new SocketPool();
  closers.push(() => server.close(), () => server.closeAllConnections(), () => sockets.close());
  return {
    settings: { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, region: "us-east-1", pathStyle: true },
    agents: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent() },
    sockets,
    credentials: async () => ({ accessKeyId: "AKID", secretAccessKey: "SECRET" }),
  };
}

describe("S3 requests signed here", () => {
  it("parses a listing: escaped keys, folders, the next page's token", () => {
    const page = parseListPage(`<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>data/</Prefix><KeyCount>3</KeyCount><IsTruncated>true</IsTruncated>
<NextContinuationToken>tok&amp;en=</NextContinuationToken>
<Contents><Key>data/a &amp; b &lt;1&gt;.csv</Key><LastModified>2026-11-29T10:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>42</Size><Owner><ID>x</ID></Owner></Contents>
<Contents><Key>data/caf&#xE9; &#8364;.bin</Key><ETag>"ABCDEF0123456789ABCDEF0123456789-3"</ETag><Size>7</Size></Contents>
<CommonPrefixes><Prefix>data/train/</Prefix></CommonPrefixes></ListBucketResult>`);
    expect(page.objects).toEqual([
      { key: "data/a & b <1>.csv", size: 42, etag: "0123456789abcdef0123456789abcdef", lastModified: new Date("2026-11-29T10:00:00.000Z") },
      { key: "data/café €.bin", size: 7, etag: "abcdef0123456789abcdef0123456789-3" },
    ]);
    expect(page.prefixes).toEqual(["data/train/"]);
    expect(page.next).toBe("tok&en=");
    expect(parseListPage("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")).toEqual({ objects: [], prefixes: [] });
  });

  it("asks for the page it wants and follows what the server says", async () => {
    const urls: string[] = [];
    const t = await serve((url) => {
      urls.push(url);
      return { status: 200, body: "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>" };
    });
    await listPage(t, { bucket: "b", prefix: "a b/", delimiter: "/", maxKeys: 2, token: "t/+=" });
    expect(urls).toEqual(["/b/?list-type=2&prefix=a%20b%2F&delimiter=%2F&max-keys=2&continuation-token=t%2F%2B%3D"]);
  });

  it("reads a HEAD's size, ETag, user metadata and encryption, with no body to wait for", async () => {
    const t = await serve((_url, method) => ({
      status: 200,
      headers: {
        "content-length": method === "HEAD" ? "123456" : "0",
        etag: '"0123456789ABCDEF0123456789ABCDEF"',
        "last-modified": "Sun, 29 Nov 2026 10:00:00 GMT",
        "x-amz-meta-md5": "0123456789abcdef0123456789abcdef",
        "x-amz-server-side-encryption": "aws:kms",
      },
    }));
    expect(await headObject(t, "b", "k")).toEqual({
      size: 123456,
      etag: "0123456789abcdef0123456789abcdef",
      etagHeader: '"0123456789ABCDEF0123456789ABCDEF"',
      lastModified: new Date("2026-11-29T10:00:00Z"),
      metadata: { md5: "0123456789abcdef0123456789abcdef" },
      kms: true,
    });
    const missing = await serve(() => ({ status: 404 }));
    expect(await headObject(missing, "b", "k").catch((e: unknown) => e)).toMatchObject({ name: "NotFound", $metadata: { httpStatusCode: 404 } });
  });

  it("says so when the endpoint is not an S3 service", async () => {
    const t = await serve(() => ({ status: 200, headers: { "content-type": "text/html" }, body: "<html>welcome to nginx</html>" }));
    const e = explainS3Error(await listPage(t, { bucket: "b" }).catch((x: unknown) => x), { endpoint: "http://web", uri: "s3://b/", credentialSource: "env" });
    expect(e).toBeInstanceOf(UserError);
    expect(String(e)).toMatch(/http:\/\/web did not answer like an S3 service/);
  });

  it("starts and completes a multipart upload; an <Error> inside a 200 is an error, retried only when the server says so", async () => {
    const seen: string[] = [];
    let failWith = "";
    const t = await serve((url, method, body) => {
      seen.push(`${method} ${url} ${body}`);
      if (url.endsWith("?uploads=")) return { status: 200, body: "<InitiateMultipartUploadResult><UploadId>id&amp;1</UploadId></InitiateMultipartUploadResult>" };
      if (failWith) return { status: 200, body: `<?xml version="1.0"?>\n\n<Error><Code>${failWith}</Code><Message>joining failed</Message></Error>` };
      return { status: 200, headers: { "x-amz-server-side-encryption": "AES256" }, body: "<CompleteMultipartUploadResult><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>" };
    });
    const id = await createUpload(t, "b", "big.bin");
    expect(id).toBe("id&1");
    const parts = [
      { partNumber: 1, etag: '"p1"' },
      { partNumber: 2, etag: '"p2"' },
    ];
    expect(await completeUpload(t, "b", "big.bin", id, parts)).toEqual({ etag: '"abc-2"', sse: "AES256" });
    expect(seen[1]).toBe(
      'POST /b/big.bin?uploadId=id%261 <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;p2&quot;</ETag></Part></CompleteMultipartUpload>',
    );
    failWith = "InternalError";
    const busy = await completeUpload(t, "b", "big.bin", id, parts).catch((e: unknown) => e);
    expect(busy).toMatchObject({ name: "InternalError", message: "joining failed" });
    expect(isTransient(busy)).toBe(true);
    failWith = "InvalidPart";
    const bad = await completeUpload(t, "b", "big.bin", id, parts).catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: "InvalidPart" });
    expect(isTransient(bad)).toBe(false);
  });
});
