import type { IncomingMessage, ServerResponse } from "node:http";
import { type Override, randomEtagHex, sseHeaders } from "./object-layouts.js";
import { kmsWanted, type ProxyState } from "./proxy-state.js";
import { writePreconditions } from "./ranges-and-conditions.js";
import { type Body, readBody } from "./request-body.js";
import { relay, responseHeaders } from "./responses.js";
import { isFailure, sendError } from "./s3-errors.js";
import type { Authn } from "./sigv4-verifier.js";
import { header, readAll, xmlEscape, xmlTag, xmlUnescape } from "./wire-format.js";

/** The conditional writes of each key in flight, one after another. */
const conditionalWrites = new Map<string, Promise<unknown>>();

/**
 * Runs a conditional write alone for its key: real servers judge the
 * condition and store the object as one step, while here the condition is a
 * HEAD of s3rver and the store a PUT; two writes in between would both pass.
 */
function oneAtATime<T>(id: string, f: () => Promise<T>): Promise<T> {
  const before = conditionalWrites.get(id) ?? Promise.resolve();
  const run = before.then(f, f);
  const settled = run.catch(() => undefined);
  conditionalWrites.set(id, settled);
  void settled.then(() => conditionalWrites.get(id) === settled && conditionalWrites.delete(id));
  return run;
}

/** PUT of an object (or a copy onto it): checked, its preconditions judged, and given a KMS ETag when it is encrypted. */
export async function putObject(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, bucket: string, key: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock } = state;
  const copy = header(req, "x-amz-copy-source") !== undefined;
  const b = await readBody(req, a, !copy);
  if (isFailure(b)) return sendError(clock, req, res, b);
  const conditional = header(req, "if-match") !== undefined || header(req, "if-none-match") !== undefined;
  const store = () => storeObject(state, req, res, b, copy, bucket, key, rawPath, rawQuery);
  return conditional ? oneAtATime(`${bucket}/${key}`, store) : store();
}

async function storeObject(
  state: ProxyState,
  req: IncomingMessage,
  res: ServerResponse,
  b: Body,
  copy: boolean,
  bucket: string,
  key: string,
  rawPath: string,
  rawQuery: string,
): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const pre = await writePreconditions(s3rver, layouts, req, bucket, key, rawPath);
  if (pre) return sendError(clock, req, res, pre);
  const kms = kmsWanted(state, req, bucket);
  const up = await s3rver.request("PUT", rawPath, rawQuery, s3rver.headers(req, ["if-none-match", "if-match", ...(b.data ? ["content-length"] : [])]), b.data ?? b.stream);
  const status = up.statusCode ?? 502;
  if (status !== 200) return relay(res, up, status, responseHeaders(clock, up));
  if (copy) {
    // a copy answers its ETag in XML, not in a header
    const xml = (await readAll(up)).toString("utf8");
    const upEtag = xmlTag(xml, "ETag") ?? "";
    let out = xml;
    if (kms) {
      const o: Override = { upstreamEtag: upEtag, etag: `"${randomEtagHex()}"`, kms: true };
      layouts.set(bucket, key, o);
      out = xml.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${xmlEscape(o.etag)}</ETag>`);
    } else layouts.forget(bucket, key);
    res.writeHead(200, { ...responseHeaders(clock, up, { "content-length": Buffer.byteLength(out) }), ...sseHeaders(layouts.recorded(bucket, key)) });
    res.end(out);
    return;
  }
  const upEtag = String(up.headers.etag ?? "");
  if (kms) {
    const o: Override = { upstreamEtag: upEtag, etag: `"${randomEtagHex()}"`, kms: true };
    layouts.set(bucket, key, o);
    return relay(res, up, 200, responseHeaders(clock, up, { etag: o.etag, ...sseHeaders(o) }));
  }
  layouts.forget(bucket, key);
  relay(res, up, 200, responseHeaders(clock, up));
}

/** DELETE of an object or of a multipart upload: what the proxy kept about it goes too. */
export async function deleteObject(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, q: Map<string, string>, bucket: string, key: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const b = await readBody(req, a, false);
  if (isFailure(b)) return sendError(clock, req, res, b);
  const up = await s3rver.request("DELETE", rawPath, rawQuery, s3rver.headers(req));
  if ((up.statusCode ?? 500) < 300) {
    if (q.has("uploadId")) layouts.uploads.delete(q.get("uploadId")!);
    else layouts.forget(bucket, key);
  }
  relay(res, up, up.statusCode ?? 502, responseHeaders(clock, up));
}

/** POST ?delete: the keys the request names lose what the proxy kept about them. */
export async function deleteObjects(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, bucket: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const b = await readBody(req, a, false);
  if (isFailure(b)) return sendError(clock, req, res, b);
  const data = b.data ?? (await readAll(b.stream!));
  const up = await s3rver.request("POST", rawPath, rawQuery, s3rver.headers(req, ["content-length"]), data);
  if (up.statusCode === 200) for (const m of data.toString("utf8").matchAll(/<Key>([^<]*)<\/Key>/g)) layouts.forget(bucket, xmlUnescape(m[1]!));
  relay(res, up, up.statusCode ?? 502, responseHeaders(clock, up));
}
