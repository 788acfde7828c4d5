import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProxyState } from "./proxy-state.js";
import { relay, responseHeaders } from "./responses.js";
import { buildQuery, readAll, xmlEscape, xmlTag } from "./wire-format.js";

/**
 * A bucket listing from s3rver, rewritten as a real server would give it: V1
 * when the proxy plays an old server, capped at its page size, dated by its
 * clock, with the ETags the proxy keeps for multipart and KMS objects.
 */
export async function listObjects(state: ProxyState, req: IncomingMessage, res: ServerResponse, params: [string, string][], bucket: string, rawPath: string): Promise<void> {
  const { clock, layouts, listing } = state;
  const v2 = params.some(([k, v]) => k === "list-type" && v === "2");
  let forwarded = params.filter(([k]) => !/^x-amz-/i.test(k));
  if (v2 && listing.v1Only) forwarded = forwarded.filter(([k]) => !["list-type", "continuation-token", "start-after", "fetch-owner"].includes(k));
  const asked = forwarded.find(([k]) => k === "max-keys")?.[1];
  if (asked === undefined || /^\d+$/.test(asked)) {
    const cap = Math.min(listing.maxKeys, asked === undefined ? 1000 : Number(asked));
    forwarded = [...forwarded.filter(([k]) => k !== "max-keys"), ["max-keys", String(cap)]];
  }
  const up = await state.s3rver.request("GET", rawPath, buildQuery(forwarded), state.s3rver.headers(req));
  const status = up.statusCode ?? 502;
  if (status !== 200) return relay(res, up, status, responseHeaders(clock, up));
  const xml = (await readAll(up)).toString("utf8");
  const out = xml
    // s3rver's namespace is not the one AWS writes
    .replace(/xmlns="http:\/\/doc\.s3\.amazonaws\.com\/2006-03-01\/"/, 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"')
    .replace(/<Contents>([\s\S]*?)<\/Contents>/g, (block: string) => {
      const key = xmlTag(block, "Key") ?? "";
      const o = layouts.effective(bucket, key, xmlTag(block, "ETag"));
      let b = block.replace(/<LastModified>([^<]*)<\/LastModified>/, (m: string, iso: string) => {
        const d = new Date(iso);
        return Number.isNaN(d.getTime()) || clock.offset === 0 ? m : `<LastModified>${new Date(d.getTime() + clock.offset).toISOString()}</LastModified>`;
      });
      if (o) b = b.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${xmlEscape(o.etag)}</ETag>`);
      return b;
    });
  res.writeHead(200, responseHeaders(clock, up, { "content-length": Buffer.byteLength(out) }));
  res.end(out);
}
