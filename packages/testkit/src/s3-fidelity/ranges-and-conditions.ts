import type { IncomingMessage } from "node:http";
import { bare, type ObjectLayouts } from "./object-layouts.js";
import { type Failure, failure, preconditionFailed } from "./s3-errors.js";
import type { S3rverClient } from "./s3rver-client.js";
import { header } from "./wire-format.js";

/** The headers that make a read conditional; s3rver ignores them all, so they are judged here and not sent on. */
export const READ_CONDITIONS = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];

/** A single byte range as real servers read `Range` (RFC 9110): "ignore" for what they ignore. */
export function parseRange(value: string, size: number): { start: number; end: number } | "ignore" | "unsatisfiable" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "ignore";
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return "ignore";
  if (start >= size) return "unsatisfiable";
  return { start, end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

export function etagListMatches(list: string, etag: string): boolean {
  const want = bare(etag);
  return list.split(",").some((e) => e.trim() === "*" || bare(e) === want);
}

/**
 * A read's conditions against the object's ETag and date, in RFC 9110's order:
 * If-Unmodified-Since counts only without If-Match, If-Modified-Since only
 * without If-None-Match. Dates compare to the second, as HTTP dates carry no more.
 */
export function readConditions(req: IncomingMessage, etag: string, modified: Date): Failure | "not-modified" | undefined {
  const ifMatch = header(req, "if-match");
  const ifNone = header(req, "if-none-match");
  const ifUnmodified = header(req, "if-unmodified-since");
  const ifModified = header(req, "if-modified-since");
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  if (ifMatch !== undefined && !etagListMatches(ifMatch, etag)) return preconditionFailed("If-Match");
  if (ifMatch === undefined && ifUnmodified !== undefined) {
    const d = new Date(ifUnmodified);
    if (!Number.isNaN(d.getTime()) && seconds(modified) > seconds(d)) return preconditionFailed("If-Unmodified-Since");
  }
  if (ifNone !== undefined && etagListMatches(ifNone, etag)) return "not-modified";
  if (ifNone === undefined && ifModified !== undefined) {
    const d = new Date(ifModified);
    if (!Number.isNaN(d.getTime()) && seconds(modified) <= seconds(d)) return "not-modified";
  }
  return undefined;
}

/** A write's preconditions (If-None-Match: *, If-Match) against what s3rver has now. */
export async function writePreconditions(s3rver: S3rverClient, layouts: ObjectLayouts, req: IncomingMessage, bucket: string, key: string, rawPath: string): Promise<Failure | undefined> {
  const ifNone = header(req, "if-none-match");
  const ifMatch = header(req, "if-match");
  if (ifNone === undefined && ifMatch === undefined) return undefined;
  if (ifNone !== undefined && ifNone.trim() !== "*") return failure(501, "NotImplemented", "A header you provided implies functionality that is not implemented", { Header: "If-None-Match" });
  const h = await s3rver.head(rawPath);
  const exists = h.statusCode === 200;
  if (ifNone !== undefined && exists) return preconditionFailed("If-None-Match");
  if (ifMatch !== undefined) {
    if (!exists) return failure(404, "NoSuchKey", "The specified key does not exist.", { Key: key });
    const up = String(h.headers.etag ?? "");
    const etag = layouts.effective(bucket, key, up)?.etag ?? up;
    if (!etagListMatches(ifMatch, etag)) return preconditionFailed("If-Match");
  }
  return undefined;
}
