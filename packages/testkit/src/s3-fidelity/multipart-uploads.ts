import type { IncomingMessage, ServerResponse } from "node:http";
import { bare, multipartEtagHex, type Override, randomEtagHex, sseHeaders } from "./object-layouts.js";
import { kmsWanted, type ProxyState } from "./proxy-state.js";
import { writePreconditions } from "./ranges-and-conditions.js";
import { readBody } from "./request-body.js";
import { relay, responseHeaders } from "./responses.js";
import { failure, invalidPartNumber, isFailure, sendError } from "./s3-errors.js";
import type { Authn } from "./sigv4-verifier.js";
import { header, readAll, xmlEscape, xmlTag } from "./wire-format.js";

/** POST ?uploads: an upload begun through the proxy has its parts followed, so its completion can be judged. */
export async function createUpload(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, bucket: string, key: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const b = await readBody(req, a, false);
  if (isFailure(b)) return sendError(clock, req, res, b);
  const up = await s3rver.request("POST", rawPath, rawQuery, s3rver.headers(req, ["content-length"]), b.data ?? b.stream);
  const xml = (await readAll(up)).toString("utf8");
  const status = up.statusCode ?? 502;
  const uploadId = xmlTag(xml, "UploadId");
  const kms = kmsWanted(state, req, bucket);
  if (status === 200 && uploadId) layouts.uploads.set(uploadId, { bucket, key, kms, untracked: false, parts: new Map() });
  res.writeHead(status, { ...responseHeaders(clock, up, { "content-length": Buffer.byteLength(xml) }), ...(kms && status === 200 ? sseHeaders({ kms }) : {}) });
  res.end(xml);
}

/** PUT ?partNumber&uploadId: the part's ETag and size are noted for the completion. */
export async function uploadPart(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, q: Map<string, string>, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts } = state;
  const n = Number(q.get("partNumber"));
  if (!Number.isInteger(n) || n < 1 || n > 10000) return sendError(clock, req, res, invalidPartNumber(q.get("partNumber") ?? ""));
  const uploadId = q.get("uploadId")!;
  const copy = header(req, "x-amz-copy-source") !== undefined;
  const b = await readBody(req, a, !copy);
  if (isFailure(b)) return sendError(clock, req, res, b);
  let size = b.data?.length ?? 0;
  if (b.stream) b.stream.on("data", (c: Buffer) => (size += c.length));
  const up = await s3rver.request("PUT", rawPath, rawQuery, s3rver.headers(req, b.data ? ["content-length"] : []), b.data ?? b.stream);
  const status = up.statusCode ?? 502;
  const upload = layouts.uploads.get(uploadId);
  // an upload begun around the proxy is not judged: its completion keeps s3rver's ETag
  if (status !== 200 || !upload) return relay(res, up, status, responseHeaders(clock, up));
  if (copy) {
    upload.untracked = true;
    return relay(res, up, status, responseHeaders(clock, up));
  }
  const md5 = bare(String(up.headers.etag ?? ""));
  const etag = upload.kms ? `"${randomEtagHex()}"` : `"${md5}"`;
  upload.parts.set(n, { etag, md5, size });
  relay(res, up, 200, responseHeaders(clock, up, { etag, ...(upload.kms ? sseHeaders({ kms: true }) : {}) }));
}

/**
 * POST ?uploadId: the part list is judged as S3 does (order, ETags, the minimum
 * part size) and the object gets the multipart ETag, which s3rver does not give.
 */
export async function completeUpload(state: ProxyState, req: IncomingMessage, res: ServerResponse, a: Authn, q: Map<string, string>, bucket: string, key: string, rawPath: string, rawQuery: string): Promise<void> {
  const { clock, s3rver, layouts, minPartSize } = state;
  const b = await readBody(req, a, false);
  if (isFailure(b)) return sendError(clock, req, res, b);
  const data = b.data ?? (await readAll(b.stream!));
  const uploadId = q.get("uploadId")!;
  const upload = layouts.uploads.get(uploadId);
  const listed = [...data.toString("utf8").matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    number: Number(xmlTag(m[1]!, "PartNumber")),
    etag: xmlTag(m[1]!, "ETag") ?? "",
  }));
  if (upload && !upload.untracked && listed.length) {
    for (let i = 1; i < listed.length; i++)
      if (!(listed[i]!.number > listed[i - 1]!.number))
        return sendError(clock, req, res, failure(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", { UploadId: uploadId }));
    for (const [i, p] of listed.entries()) {
      const part = upload.parts.get(p.number);
      if (!part || bare(part.etag) !== bare(p.etag))
        return sendError(
          clock,
          req,
          res,
          failure(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
            UploadId: uploadId,
            PartNumber: p.number,
            ETag: p.etag,
          }),
        );
      if (i < listed.length - 1 && part.size < minPartSize)
        return sendError(clock, req, res, failure(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", { ProposedSize: part.size, MinSizeAllowed: minPartSize, PartNumber: p.number, ETag: part.etag }));
    }
  }
  const pre = await writePreconditions(s3rver, layouts, req, bucket, key, rawPath);
  if (pre) return sendError(clock, req, res, pre);
  const up = await s3rver.request("POST", rawPath, rawQuery, s3rver.headers(req, ["content-length", "content-md5", "if-none-match", "if-match"]), data);
  const xml = (await readAll(up)).toString("utf8");
  const status = up.statusCode ?? 502;
  let out = xml;
  let o: Override | undefined;
  // a 200 can still carry an <Error>, as S3 documents for CompleteMultipartUpload
  if (status === 200 && /<CompleteMultipartUploadResult[\s>]/.test(xml)) {
    layouts.uploads.delete(uploadId);
    if (upload && !upload.untracked && listed.length) {
      const parts = listed.map((p) => upload.parts.get(p.number)!);
      const hex = upload.kms ? randomEtagHex() : multipartEtagHex(parts.map((p) => Buffer.from(p.md5, "hex")));
      o = { upstreamEtag: xmlTag(xml, "ETag") ?? "", etag: `"${hex}-${parts.length}"`, parts: parts.map((p) => p.size), kms: upload.kms };
      layouts.set(bucket, key, o);
      out = xml.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${xmlEscape(o.etag)}</ETag>`);
    } else layouts.forget(bucket, key);
  }
  res.writeHead(status, { ...responseHeaders(clock, up, { "content-length": Buffer.byteLength(out) }), ...sseHeaders(o) });
  res.end(out);
}
