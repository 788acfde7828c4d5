import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { startMalformedHttpServer } from "@aves2/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { isTransient } from "../src/retry/transfer.js";
import { connect } from "../src/s3/connection.js";
import { explainS3Error } from "../src/s3/errors.js";
import { RequestSigner } from "../src/s3/signer.js";
import { type BodySink, type S3Answer, S3Transport } from "../src/s3/transport.js";

// The transport (undici under an S3 signer) in front of real servers on
// 127.0.0.1: node's own HTTP server, and raw TCP servers that frame their
// answers in the ways a server or proxy may, broken ones included.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function target(port: number): S3Transport {
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  closers.push(() => agent.close());
  const signer = new RequestSigner(async () => ({ accessKeyId: "AKID", secretAccessKey: "SECRET" }));
  return new S3Transport({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", pathStyle: true }, agent, signer);
}

/** An HTTP server; counts the TCP connections it accepted. */
async function http(handler: (req: IncomingMessage, res: ServerResponse) => void, keep?: (s: Server) => void) {
  const server = createHttpServer(handler);
  keep?.(server);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => server.close());
  closers.push(() => server.closeAllConnections());
  return { port: (server.address() as { port: number }).port, connections: () => connections };
}

/** A TCP server that answers each request it reads with `answer`; `requests` counts what reached it. */
async function raw(answer: (socket: Socket) => void) {
  const stats = { requests: 0 };
  const server = createNetServer((socket) => {
    socket.on("data", () => {
      stats.requests++;
      answer(socket);
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => server.close());
  return Object.assign(stats, { port: (server.address() as { port: number }).port });
}

async function get(t: S3Transport, headers?: Record<string, string>, onHead?: (h: S3Answer) => void) {
  const pieces: Buffer[] = [];
  const sink: BodySink = { ...(onHead ? { head: onHead } : {}), data: (p) => pieces.push(Buffer.from(p)) };
  const head = await t.send({ method: "GET", bucket: "b", key: "dir/obj.bin", ...(headers ? { headers } : {}) }, sink);
  return { head, body: Buffer.concat(pieces), pieces: pieces.length };
}

describe("S3 requests on undici", () => {
  it("reads a Content-Length body of many reads byte-identical, signed, the range asked for", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    let seen: IncomingMessage | undefined;
    const s = await http((req, res) => {
      seen = req;
      res.writeHead(206, { "content-length": data.length, etag: '"abc"', "x-amz-meta-md5": "00ff" });
      res.end(data);
    });
    const got = await get(target(s.port), { range: "bytes=0-99" });
    expect(got.body.equals(data)).toBe(true);
    expect(got.pieces).toBeGreaterThan(1);
    expect(got.head).toMatchObject({ status: 206, headers: { etag: '"abc"', "x-amz-meta-md5": "00ff" } });
    expect(seen!.url).toBe("/b/dir/obj.bin");
    expect(seen!.headers.range).toBe("bytes=0-99");
    expect(seen!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  });

  it("reuses one kept-alive connection, and goes on a new one at once when the server closed it while idle", async () => {
    let server: Server | undefined;
    const s = await http(
      (_req, res) => res.end("hello"),
      (created) => {
        server = created;
      },
    );
    const t = target(s.port);
    for (let i = 0; i < 6; i++) expect((await get(t)).body.toString()).toBe("hello");
    // undici may open a second connection while the first is being handed back, never one per request
    const kept = s.connections();
    expect(kept).toBeLessThanOrEqual(2);
    // closed under the pool's feet: its FIN may or may not have arrived when the next GET takes the socket
    server!.closeIdleConnections();
    expect((await get(t)).body.toString()).toBe("hello");
    expect(s.connections()).toBeGreaterThan(kept);

    // a server that closes every connection right after its answer, without saying so: the next
    // GET is written to a socket that is already going, and goes again on a new one
    const closing = await raw((socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    const once = target(closing.port);
    for (let i = 0; i < 3; i++) expect((await get(once)).body.toString()).toBe("ok");
    expect(closing.requests).toBe(3);
  });

  it("reads a chunked body, and a body framed by the connection's end", async () => {
    const s = await http((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: node sends it chunked
      res.write("first,");
      setTimeout(() => res.end("second"), 20);
    });
    expect((await get(target(s.port))).body.toString()).toBe("first,second");

    const untilEnd = await raw((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it ");
      setTimeout(() => socket.end("until the end"), 20);
    });
    expect((await get(target(untilEnd.port))).body.toString()).toBe("all of it until the end");
  });

  it("parses a head that comes in pieces", async () => {
    const pieces = await raw((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nEtag: ");
      setTimeout(() => socket.write('"e1"\r\ncontent-length: 4\r'), 10);
      setTimeout(() => socket.write("\n\r\nbody"), 20);
    });
    const got = await get(target(pieces.port));
    expect(got.head).toMatchObject({ status: 200, headers: { etag: '"e1"', "content-length": "4" } });
    expect(got.body.toString()).toBe("body");
  });

  it("turns an error answer into the S3 error it names; 5xx and cut connections are retried, 404 is not", async () => {
    const s = await http((req, res) => {
      const missing = req.url!.includes("missing");
      res.writeHead(missing ? 404 : 503, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0"?><Error><Code>${missing ? "NoSuchKey" : "SlowDown"}</Code><Message>${missing ? "The key does not exist" : "Slow down"}</Message></Error>`);
    });
    const t = target(s.port);
    const e404 = await t.send({ method: "GET", bucket: "b", key: "missing" }).catch((e: unknown) => e);
    expect(e404).toMatchObject({ name: "NoSuchKey", message: "The key does not exist", $metadata: { httpStatusCode: 404 } });
    expect(isTransient(e404)).toBe(false);
    const e503 = await t.send({ method: "GET", bucket: "b", key: "busy" }).catch((e: unknown) => e);
    expect(e503).toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });
    expect(isTransient(e503)).toBe(true);

    const cutter = await raw((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly part");
      setTimeout(() => socket.destroy(), 20);
    });
    const cut = await get(target(cutter.port)).catch((e: unknown) => e);
    expect(cut).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(isTransient(cut)).toBe(true);
  });

  it("stops reading when the caller refuses the head; the next request gets its own whole answer", async () => {
    const s = await http((_req, res) => {
      res.writeHead(200, { "content-length": 1 << 20, etag: '"changed"' });
      res.end(Buffer.alloc(1 << 20));
    });
    const t = target(s.port);
    let bytes = 0;
    const err = await t.send(
      { method: "GET", bucket: "b", key: "k" },
      {
        head: (h) => {
          if (h.headers.etag !== '"original"') throw new Error("it changed while it was being copied");
        },
        data: (p) => (bytes += p.length),
      },
    ).catch((e: unknown) => e);
    expect(String(err)).toMatch(/changed while it was being copied/);
    expect(bytes).toBe(0);
    // the refused body is not read as the next answer
    const next = await get(t);
    expect(next.body.length).toBe(1 << 20);
  });

  it("names an unreachable server with a code that is retried", async () => {
    const gone = await raw(() => undefined);
    await closers.pop()!(); // closed again: nothing listens there now
    const err = await get(target(gone.port)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNREFUSED" });
    expect(isTransient(err)).toBe(true);
  });
});

describe("S3 requests over TLS", () => {
  const fixtures = fileURLToPath(new URL("./fixtures/tls/", import.meta.url));
  const cert = readFileSync(join(fixtures, "cert.pem"), "utf8");

  async function httpsServer(body: Buffer) {
    const server = createHttpsServer({ key: readFileSync(join(fixtures, "key.pem")), cert }, (_req, res) => {
      res.writeHead(200, { "content-length": body.length });
      res.end(body);
    });
    let connections = 0;
    server.on("secureConnection", () => connections++);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => server.close(), () => server.closeAllConnections());
    return { endpoint: `https://127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => connections };
  }

  it("reads through TLS on one kept-alive connection, trusting a private CA named by AWS_CA_BUNDLE, as aws-cli does", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const s = await httpsServer(data);
    const settings = { endpoint: s.endpoint, region: "us-east-1", pathStyle: true };
    const env = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "SECRET", AWS_CA_BUNDLE: join(fixtures, "cert.pem"), HOME: "/nonexistent" };
    const conn = await connect(settings, env);
    for (let i = 0; i < 2; i++) {
      const pieces: Buffer[] = [];
      await conn.transport.send({ method: "GET", bucket: "b", key: "k" }, { data: (p) => pieces.push(Buffer.from(p)) });
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
    }
    expect(s.connections()).toBeLessThanOrEqual(2);

    // without the bundle, node's own CAs do not vouch for it: one error that says what to do
    const untrusted = await connect(settings, { ...env, AWS_CA_BUNDLE: "" });
    const e = await untrusted.transport.send({ method: "GET", bucket: "b", key: "k" }).catch((x: unknown) => x);
    const explained = explainS3Error(e, { endpoint: s.endpoint, uri: "s3://b/k", credentialSource: "env" });
    expect(String(explained)).toMatch(/has a TLS certificate this machine does not trust \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    expect((explained as UserError).problems[0]!.hint).toMatch(/AWS_CA_BUNDLE/);

    const missing = await connect({ ...settings, region: "eu-west-1" }, { ...env, AWS_CA_BUNDLE: "/nonexistent/ca.pem" }).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(UserError);
    expect(String(missing)).toMatch(/AWS_CA_BUNDLE names \/nonexistent\/ca\.pem, which cannot be read \(ENOENT\)/);
  });
});

describe("strict answers: malformed framing fails at once, clearly, and is not retried", () => {
  const explain = (e: unknown) => String(explainS3Error(e, { endpoint: "http://127.0.0.1", uri: "s3://b/k", credentialSource: "env" }));
  /** The malformed-answer test server, answering with `answers` in turn. */
  async function scripted(...answers: string[]) {
    const server = await startMalformedHttpServer(answers);
    closers.push(() => server.stop());
    return { server, t: target(server.port) };
  }

  it("a duplicated Content-Length that disagrees, a non-HTTP answer, Content-Length with chunked", async () => {
    for (const answer of [
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 7\r\n\r\nhello",
      "SSH-2.0-OpenSSH_9.2\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ]) {
      // the connection stays open: a lenient reader would wait on it until the test times out
      const { t } = await scripted(answer);
      const e = await get(t).catch((x: unknown) => x);
      expect(isTransient(e)).toBe(false);
      expect(explain(e)).toMatch(/sent a malformed HTTP answer for s3:\/\/b\/k/);
    }
  });

  it("a 204 without a length ends at its head, and the connection is reused", async () => {
    const noContent = 'HTTP/1.1 204 No Content\r\netag: "x"\r\n\r\n';
    const { server, t } = await scripted(noContent, noContent);
    const first = await get(t);
    expect(first.head.status).toBe(204);
    expect(first.body.length).toBe(0);
    await get(t);
    expect(server.requests).toHaveLength(2);
  });

  it("a header value with a line break is refused before anything is sent", async () => {
    const { server, t } = await scripted("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    const e = await get(t, { "content-type": "text/plain\r\nx-amz-acl: public-read-write" }).catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "InvalidHeader" });
    expect(explain(e)).toMatch(/the request header "content-type" has a line break/);
    expect(server.requests).toHaveLength(0);
  });

  it("bytes past the declared length are not taken as the body, nor as the next answer", async () => {
    const { t } = await scripted("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA", "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext");
    expect((await get(t)).body.toString()).toBe("ok");
    const second = await get(t).then(
      (r) => r.body.toString(),
      (e: unknown) => e,
    );
    // undici drops the connection that sent bytes nobody asked for: the next request is answered on a new one, or fails retryably
    if (second instanceof Error) expect(isTransient(second)).toBe(true);
    else expect(second).toBe("next");
  });
});
