import { createServer, type IncomingHttpHeaders } from "node:http";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { explainS3Error } from "../src/s3/errors.js";
import { etagIsOpaque, headObject, listAll, listPage, multipartPartSize, parseListPage } from "../src/s3/lookups.js";
import { completeUpload, createUpload } from "../src/s3/multipart.js";
import { isTransient } from "../src/retry/transfer.js";
import { RequestSigner } from "../src/s3/signer.js";
import { S3Transport } from "../src/s3/transport.js";

// HEAD, listings and a multipart upload's bookkeeping. Against s3rver they are covered by every S3 test
// (s3-store.test.ts), against servers that behave like AWS in s3-real-servers.test.ts; here: answers
// shaped by hand, what neither sends.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

type Answer = { status: number; headers?: Record<string, string>; body?: string };

async function serve(answer: (url: string, method: string, body: string, headers: IncomingHttpHeaders) => Answer): Promise<S3Transport> {
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const a = answer(req.url!, req.method!, body, req.headers);
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const agent = new Agent();
  closers.push(() => server.close(), () => server.closeAllConnections(), () => agent.close());
  const signer = new RequestSigner(async () => ({ accessKeyId: "AKID", secretAccessKey: "SECRET" }));
  return new S3Transport({ endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, region: "us-east-1", pathStyle: true }, agent, signer);
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
    expect(page).toMatchObject({ truncated: true, token: "tok&en=", keyCount: 3 });
    expect(parseListPage("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")).toEqual({ objects: [], prefixes: [], truncated: false });
    expect(() => parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents><Contents><Key>b</Ke')).toThrow(/cut short/);
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
      opaqueEtag: true,
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
    expect(await completeUpload(t, "b", "big.bin", id, parts)).toEqual({ etag: '"abc-2"', opaqueEtag: false });
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

  it("knows which encryption makes an ETag no MD5: KMS, KMS with DSSE, customer keys, OSS KMS; not AES256", () => {
    expect(etagIsOpaque({ "x-amz-server-side-encryption": "aws:kms" })).toBe(true);
    expect(etagIsOpaque({ "x-amz-server-side-encryption": "aws:kms:dsse" })).toBe(true);
    expect(etagIsOpaque({ "x-amz-server-side-encryption-customer-algorithm": "AES256" })).toBe(true);
    expect(etagIsOpaque({ "x-oss-server-side-encryption": "KMS" })).toBe(true);
    expect(etagIsOpaque({ "x-amz-server-side-encryption": "AES256" })).toBe(false);
    expect(etagIsOpaque({})).toBe(false);
  });

  it("takes a multipart object's part size from a HEAD of part 1, and only when the server's answer adds up", async () => {
    let answer: Record<string, string> = {};
    const urls: string[] = [];
    const t = await serve((url) => {
      urls.push(url);
      return { status: 206, headers: answer };
    });
    const MiB = 1024 * 1024;
    answer = { "content-length": String(16 * MiB), "x-amz-mp-parts-count": "7" };
    expect(await multipartPartSize(t, "b", "big file", 100 * MiB, 7)).toBe(16 * MiB);
    expect(urls[0]).toBe("/b/big%20file?partNumber=1");
    // a server that ignores partNumber answers for the whole object, without a count: unknown, not guessed
    answer = { "content-length": String(100 * MiB) };
    expect(await multipartPartSize(t, "b", "k", 100 * MiB, 7)).toBeUndefined();
    answer = { "content-length": String(15 * MiB), "x-amz-mp-parts-count": "6" };
    expect(await multipartPartSize(t, "b", "k", 100 * MiB, 7)).toBeUndefined();
  });

  it("lists every page: by token, then by marker when a server says there is more but gives no token", async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `p/k${i}`);
    const urls: string[] = [];
    const t = await serve((url) => {
      urls.push(url);
      const q = new URL(url, "http://x").searchParams;
      const after = q.get("marker") ?? (q.get("continuation-token") ? keys[1] : undefined);
      const from = after === undefined ? 0 : keys.indexOf(after) + 1;
      const page = keys.slice(from, from + 2);
      const more = from + 2 < keys.length;
      // the first page is a V2 answer with a token; the server then "forgets" V2, as some do
      const token = from === 0 ? "<NextContinuationToken>t1</NextContinuationToken>" : "";
      return { status: 200, body: `<ListBucketResult><IsTruncated>${more}</IsTruncated>${token}${page.map((k) => `<Contents><Key>${k}</Key><Size>1</Size></Contents>`).join("")}</ListBucketResult>` };
    });
    const got: string[] = [];
    await listAll(t, { bucket: "b", prefix: "p/" }, (page) => got.push(...page.objects.map((o) => o.key)));
    expect(got).toEqual(keys);
    expect(urls.slice(0, 3)).toEqual(["/b/?list-type=2&prefix=p%2F", "/b/?list-type=2&prefix=p%2F&continuation-token=t1", "/b/?marker=p%2Fk3&prefix=p%2F"]);
  });

  it("never ends a listing early without saying so: a page short of its KeyCount, a 'more' with nothing to go on", async () => {
    const short = await serve(() => ({ status: 200, body: "<ListBucketResult><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>" }));
    const e1 = await listAll(short, { bucket: "b" }, () => undefined).catch((x: unknown) => x);
    expect(String(explainS3Error(e1, { endpoint: "http://s", uri: "s3://b/", credentialSource: "env" }))).toMatch(/the listing of s3:\/\/b\/ at http:\/\/s is incomplete: the server said a page holds 2 keys, but it holds 1/);
    const stuck = await serve(() => ({ status: 200, body: "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>" }));
    const e2 = await listAll(stuck, { bucket: "b" }, () => undefined).catch((x: unknown) => x);
    expect(String(explainS3Error(e2, { endpoint: "http://s", uri: "s3://b/", credentialSource: "env" }))).toMatch(/incomplete: the server said the listing goes on, but gave no way to ask for the rest/);
  });

  it("asks a bucket in another region again there (301 + x-amz-bucket-region, or 400 naming it), and remembers it", async () => {
    const scopes: string[] = [];
    const t = await serve((url, _method, _body, headers): Answer => {
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(headers.authorization))?.[1] ?? "";
      scopes.push(`${url} ${region}`);
      if (url.startsWith("/eu/") && region !== "eu-west-1") return { status: 301, headers: { "x-amz-bucket-region": "eu-west-1" }, body: "<Error><Code>PermanentRedirect</Code></Error>" };
      if (url.startsWith("/ap/") && region !== "ap-south-1")
        return { status: 400, body: "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>" };
      if (url.startsWith("/nowhere/")) return { status: 301, headers: { "x-amz-bucket-region": "eu-north-1" }, body: "<Error><Code>PermanentRedirect</Code></Error>" };
      return { status: 200, headers: { "content-length": "0", etag: '"e"' } };
    });
    await headObject(t, "eu", "k");
    await headObject(t, "eu", "k2");
    await t.send({ method: "GET", bucket: "ap", key: "k" });
    expect(scopes).toEqual(["/eu/k us-east-1", "/eu/k eu-west-1", "/eu/k2 eu-west-1", "/ap/k us-east-1", "/ap/k ap-south-1"]);
    expect(t.regionOf("eu")).toBe("eu-west-1");
    // followed once: a server that keeps redirecting is an error, not a loop
    const loop = await headObject(t, "nowhere", "k").catch((x: unknown) => x);
    expect(loop).toMatchObject({ name: "PermanentRedirect" });
    expect(scopes.filter((s) => s.startsWith("/nowhere/"))).toHaveLength(2);
  });

  it("corrects a skewed clock by the server's Date, and says so when the server still refuses it", async () => {
    const serverNow = () => Date.now() + 3 * 3600_000;
    let refuseAlways = false;
    const dates: string[] = [];
    const t = await serve((_url, _method, _body, headers): Answer => {
      const sent = String(headers["x-amz-date"]);
      dates.push(sent);
      const at = Date.parse(sent.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
      if (refuseAlways || Math.abs(at - serverNow()) > 15 * 60_000) {
        return { status: 403, headers: { date: new Date(serverNow()).toUTCString() }, body: "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>" };
      }
      return { status: 200, headers: { "content-length": "0" } };
    });
    // a HEAD's refusal has no body to name it: the server's Date tells
    await headObject(t, "b", "k");
    await t.send({ method: "GET", bucket: "b", key: "k" });
    expect(dates).toHaveLength(3); // refused once, then signed by the server's time from then on
    refuseAlways = true;
    const e = await headObject(t, "b", "k").catch((x: unknown) => x);
    const explained = explainS3Error(e, { endpoint: "http://s", uri: "s3://b/k", credentialSource: "env" });
    expect(String(explained)).toMatch(/http:\/\/s refuses this machine's clock, 3.0 hours behind the server's/);
    expect((explained as UserError).problems[0]!.hint).toMatch(/NTP/);
  });
});
