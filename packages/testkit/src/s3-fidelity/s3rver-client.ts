import { Agent, type IncomingMessage, type OutgoingHttpHeaders, request } from "node:http";
import { pipeline } from "node:stream";
import { amzDateOf } from "./clock.js";
import { HOP, header, readAll, rfc3986 } from "./wire-format.js";

/** The s3rver behind the proxy, which stores and serves the objects. */
export class S3rverClient {
  private readonly agent = new Agent({ keepAlive: true });

  constructor(private readonly to: URL) {}

  /**
   * The headers a request to s3rver carries: the client's, re-signed as s3rver's
   * own account, since s3rver checks no V4 signature, only the key and the time.
   */
  headers(req: IncomingMessage | undefined, drop: readonly string[] = []): OutgoingHttpHeaders {
    const h: OutgoingHttpHeaders = {};
    if (req) {
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || HOP.has(k) || drop.includes(k)) continue;
        if (k === "authorization" || k === "x-amz-date" || k === "x-amz-content-sha256" || k === "x-amz-security-token") continue;
        if (k === "x-amz-decoded-content-length" || k === "x-amz-trailer" || k.startsWith("x-amz-checksum-") || k === "x-amz-sdk-checksum-algorithm") continue;
        h[k] = v;
      }
      const te = header(req, "transfer-encoding");
      if (te && !drop.includes("content-length")) h["transfer-encoding"] = te;
    }
    const ce = typeof h["content-encoding"] === "string" ? h["content-encoding"] : undefined;
    if (ce !== undefined) {
      const rest = ce
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s && s.toLowerCase() !== "aws-chunked");
      if (rest.length) h["content-encoding"] = rest.join(",");
      else delete h["content-encoding"];
    }
    const real = new Date();
    h.host = this.to.host;
    h["x-amz-date"] = amzDateOf(real);
    h["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    h.authorization = `AWS4-HMAC-SHA256 Credential=S3RVER/${amzDateOf(real).slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
    return h;
  }

  request(method: string, path: string, query: string, headers: OutgoingHttpHeaders, body?: Buffer | IncomingMessage): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (Buffer.isBuffer(body)) {
        h["content-length"] = body.length;
        delete h["transfer-encoding"];
      } else if (!body && method !== "GET" && method !== "HEAD" && method !== "DELETE") h["content-length"] = 0;
      const up = request({ host: this.to.hostname, port: this.to.port, method, path: query ? `${path}?${query}` : path, headers: h, agent: this.agent }, resolve);
      up.on("error", reject);
      if (Buffer.isBuffer(body)) up.end(body);
      else if (body) pipeline(body, up, (err) => err && up.destroy(err));
      else up.end();
    });
  }

  /** HEAD of the object at s3rver (what it stores, without the proxy's overrides). */
  async head(rawPath: string): Promise<IncomingMessage> {
    const r = await this.request("HEAD", rawPath, "", this.headers(undefined));
    r.resume();
    return r;
  }

  /** Stores `data` as a plain object; resolves with s3rver's ETag. */
  async put(bucket: string, key: string, data: Buffer): Promise<string> {
    const path = `/${rfc3986(bucket)}/${key.split("/").map(rfc3986).join("/")}`;
    const up = await this.request("PUT", path, "", this.headers(undefined), data);
    const text = (await readAll(up)).toString("utf8");
    if (up.statusCode !== 200) throw new Error(`s3rver refused PUT ${bucket}/${key}: ${up.statusCode} ${text}`);
    return String(up.headers.etag ?? "");
  }

  destroy(): void {
    this.agent.destroy();
  }
}
