import type { IncomingMessage, ServerResponse } from "node:http";
import { bare, partOf, sseHeaders } from "./object-layouts.js";
import type { ProxyState } from "./proxy-state.js";
import { parseRange, READ_CONDITIONS, readConditions } from "./ranges-and-conditions.js";
import { baseHeaders, relay, responseHeaders } from "./responses.js";
import { failure, invalidPartNumber, preconditionFailed, sendError } from "./s3-errors.js";
import { buildQuery, header } from "./wire-format.js";

/**
 * GET or HEAD of an object. Plain reads go straight to s3rver; a range, a part
 * number or a condition is judged here on a HEAD first, since s3rver gets them wrong.
 */
export async function readObject(state: ProxyState, req: IncomingMessage, res: ServerResponse, q: Map<string, string>, bucket: string, key: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const method = req.method === "HEAD" ? "HEAD" : "GET";
  const partParam = q.get("partNumber");
  const rangeHeader = header(req, "range");
  const conditional = READ_CONDITIONS.some((h) => header(req, h) !== undefined);
  const forwardQuery = buildQuery([...q].filter(([k]) => k !== "partNumber" && !/^x-amz-/i.test(k)));
  if (partParam === undefined && rangeHeader === undefined && !conditional) {
    const up = await s3rver.request(method, rawPath, forwardQuery, s3rver.headers(req));
    const status = up.statusCode ?? 502;
    const o = status === 200 ? layouts.effective(bucket, key, String(up.headers.etag ?? "")) : undefined;
    return relay(res, up, status, responseHeaders(clock, up, o ? { etag: o.etag, ...sseHeaders(o) } : {}));
  }

  // what is there now: size, ETag, date, for the range, the part and the conditions
  const head = await s3rver.head(rawPath);
  if (head.statusCode !== 200) {
    const up = await s3rver.request(method, rawPath, forwardQuery, s3rver.headers(req, ["range", ...READ_CONDITIONS]));
    return relay(res, up, up.statusCode ?? 502, responseHeaders(clock, up));
  }
  const size = Number(head.headers["content-length"] ?? 0);
  const upEtag = String(head.headers.etag ?? "");
  const o = layouts.effective(bucket, key, upEtag);
  const etag = o?.etag ?? upEtag;
  const modified = new Date(new Date(String(head.headers["last-modified"] ?? "")).getTime() + clock.offset);
  const same = { etag, "last-modified": modified.toUTCString() };

  const verdict = readConditions(req, etag, modified);
  if (verdict === "not-modified") {
    res.writeHead(304, { ...baseHeaders(clock), ...same });
    res.end();
    return;
  }
  if (verdict) return sendError(clock, req, res, verdict);

  let range: { start: number; end: number } | undefined;
  let partsCount: number | undefined;
  if (partParam !== undefined) {
    const n = Number(partParam);
    if (!/^\d+$/.test(partParam) || n < 1 || n > 10000) return sendError(clock, req, res, invalidPartNumber(partParam));
    if (rangeHeader !== undefined) return sendError(clock, req, res, failure(400, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter"));
    const part = partOf(o, size, n);
    if ("error" in part)
      return sendError(clock, req, res, failure(416, "InvalidPartNumber", "The requested partnumber is not satisfiable", { PartNumberRequested: n, ActualPartCount: part.partCount }));
    range = part.range;
    partsCount = part.partsCount;
  } else if (rangeHeader !== undefined) {
    const r = parseRange(rangeHeader, size);
    if (r === "unsatisfiable")
      return sendError(clock, req, res, failure(416, "InvalidRange", "The requested range is not satisfiable", { RangeRequested: rangeHeader, ActualObjectSize: size }, { "content-range": `bytes */${size}` }));
    if (r !== "ignore") range = r;
  }

  const fixed: Record<string, string | number | undefined> = { ...same, ...sseHeaders(o), ...(partsCount !== undefined ? { "x-amz-mp-parts-count": partsCount } : {}) };
  if (range) {
    fixed["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    fixed["content-length"] = range.end - range.start + 1;
  } else {
    fixed["content-range"] = undefined;
    fixed["content-length"] = size;
  }
  const status = range ? 206 : 200;
  if (method === "HEAD") {
    res.writeHead(status, responseHeaders(clock, head, fixed));
    res.end();
    return;
  }
  const h = s3rver.headers(req, ["range", ...READ_CONDITIONS]);
  // s3rver reads `bytes=0-0` as the whole object: ask from 0 on and cut
  if (range) h.range = range.end === 0 ? "bytes=0-" : `bytes=${range.start}-${range.end}`;
  const up = await s3rver.request("GET", rawPath, forwardQuery, h);
  if (up.statusCode !== 200 && up.statusCode !== 206) return relay(res, up, up.statusCode ?? 502, responseHeaders(clock, up));
  if (bare(String(up.headers.etag ?? "")) !== bare(upEtag)) {
    // replaced between the HEAD and the GET: judge the conditions again on what came
    up.destroy();
    if (header(req, "if-match") !== undefined) return sendError(clock, req, res, preconditionFailed("If-Match"));
    return readObject(state, req, res, q, bucket, key, rawPath, rawQuery);
  }
  relay(res, up, status, responseHeaders(clock, up, fixed), range ? range.end - range.start + 1 : size);
}
