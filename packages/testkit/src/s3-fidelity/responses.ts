import { randomBytes } from "node:crypto";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Clock } from "./clock.js";
import { HOP } from "./wire-format.js";

/** The headers S3 puts on every answer, dated by the proxy's clock. */
export function baseHeaders(clock: Clock): Record<string, string> {
  return {
    date: clock.now().toUTCString(),
    "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(),
    "x-amz-id-2": randomBytes(24).toString("base64"),
    server: "AmazonS3",
  };
}

/** Copies s3rver's answer with the proxy's clock and request ids; `set` replaces (undefined: removes) headers. */
export function responseHeaders(clock: Clock, up: IncomingMessage, set: Record<string, string | number | undefined> = {}): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k) && k !== "date") h[k] = v;
  if (typeof h["last-modified"] === "string") h["last-modified"] = clock.shift(h["last-modified"]);
  Object.assign(h, baseHeaders(clock));
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return h;
}

/** Sends s3rver's answer on, at most `limit` bytes of it (then s3rver's connection is dropped). */
export function relay(res: ServerResponse, up: IncomingMessage, status: number, headers: OutgoingHttpHeaders, limit?: number): void {
  res.writeHead(status, headers);
  let left = limit ?? Number.POSITIVE_INFINITY;
  if (left <= 0) {
    up.destroy();
    res.end();
    return;
  }
  res.on("close", () => {
    if (!up.complete) up.destroy();
  });
  res.on("drain", () => up.resume());
  up.on("data", (chunk: Buffer) => {
    const piece = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= piece.length;
    const more = res.write(piece);
    if (left <= 0) {
      up.destroy();
      res.end();
    } else if (!more) up.pause();
  });
  up.on("end", () => {
    if (left > 0) res.end();
  });
  up.on("error", () => {
    if (left > 0) res.destroy();
  });
}
