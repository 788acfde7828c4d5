import { createHash } from "node:crypto";
import { createReadStream, writeSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { UserError } from "../errors.js";
import {
  BackgroundMd5,
  compositeEtag,
  FileMd5,
  FrontierHasher,
  isPlainMd5,
  matchesObject,
  multipartCount,
  normalizeEtag,
  type ObjectFacts,
  OrderedHasher,
  StreamHasher,
} from "../checksum/index.js";
import { forEachLimited } from "../pool.js";
import type { RemoteObject, RemoteTree } from "../remote.js";
import type { RetryPolicy } from "../retry/index.js";
import { IntegrityError, transferPolicy } from "../retry/transfer.js";
import type { S3Connection } from "./connection.js";
import { explainS3Error } from "./errors.js";
import { send } from "./request.js";
import { etagIsOpaque, headObject, listAll, multipartPartSize } from "./lookups.js";
import { abortUpload, completeUpload, createUpload, type UploadedPart } from "./multipart.js";

const MiB = 1024 * 1024;
/** Files at least this big are uploaded in parts (as aws-cli does). */
export const MULTIPART_THRESHOLD = 16 * MiB;
/** Objects at least this big are downloaded as parallel ranges. */
export const RANGED_THRESHOLD = 32 * MiB;
const PART_SIZE = 8 * MiB;
/** Parts or ranges of one file in flight at once. */
const PARTS_IN_FLIGHT = 8;

function partSizeFor(size: number): number {
  // S3 allows 10,000 parts: grow the part (in whole MiB) for very large files
  return Math.max(PART_SIZE, Math.ceil(size / 10_000 / MiB) * MiB);
}

/**
 * Writes a piece where it belongs, before the socket's buffer is read into
 * again. Synchronous on purpose: the write lands in the page cache in
 * microseconds, and an asynchronous one would need a copy of every piece.
 */
function writeAt(fd: number, piece: Buffer, position: number): void {
  for (let off = 0; off < piece.length; ) off += writeSync(fd, piece, off, piece.length - off, position + off);
}

function md5(buf: Buffer): Buffer {
  return createHash("md5").update(buf).digest();
}

/**
 * An S3 prefix as the sync engine's remote folder. Every request is retried
 * on transient failures (see retry.ts) and is explained as a user error when
 * it finally fails; every object is checked against its ETag or MD5.
 */
export class S3Tree implements RemoteTree {
  retries = 0;
  readonly label: string;

  /** `prefix` is "" (the whole bucket) or ends with "/". */
  constructor(
    private readonly conn: S3Connection,
    readonly bucket: string,
    readonly prefix: string,
    private readonly what?: string,
    private readonly policy: RetryPolicy = transferPolicy(),
  ) {
    this.label = `s3://${bucket}/${prefix}`;
  }

  identity(obj: RemoteObject): string {
    return `${this.conn.endpoint}\0${this.bucket}\0${this.prefix}${obj.rel}`;
  }

  /** One request, retried; `uri` names it in errors. */
  req<T>(uri: string, f: () => Promise<T>): Promise<T> {
    return send(this.conn, { uri, policy: this.policy, onRetry: () => this.retries++, ...(this.what ? { what: this.what } : {}) }, f);
  }

  private uri(rel: string): string {
    return `s3://${this.bucket}/${this.prefix}${rel}`;
  }

  async list(): Promise<RemoteObject[]> {
    const out: RemoteObject[] = [];
    await listAll(
      this.conn.transport,
      { bucket: this.bucket, prefix: this.prefix },
      (page) => {
        for (const o of page.objects) {
          if (o.key.length <= this.prefix.length) continue;
          out.push({ rel: o.key.slice(this.prefix.length), size: o.size, etag: o.etag, ...(o.lastModified ? { lastModified: o.lastModified } : {}) });
        }
      },
      (f) => this.req(this.label, f),
    );
    return out;
  }

  /**
   * The part size a multipart object was uploaded with, as the server says
   * (see multipartPartSize); undefined for a single-part object, or when the
   * server does not say: then the object is checked by its size only.
   */
  private async partSizeOf(obj: RemoteObject): Promise<number | undefined> {
    const n = multipartCount(obj.etag);
    if (n === undefined) return undefined;
    return this.req(this.uri(obj.rel), () => multipartPartSize(this.conn.transport, this.bucket, this.prefix + obj.rel, obj.size, n));
  }

  async download(obj: RemoteObject, file: string, onBytes: (n: number) => void): Promise<{ verified: boolean }> {
    return obj.size >= RANGED_THRESHOLD ? this.downloadRanges(obj, file, onBytes) : this.downloadWhole(obj, file, onBytes);
  }

  private checkSame(obj: RemoteObject, etag: string | undefined): void {
    if (etag && normalizeEtag(etag) !== obj.etag) {
      throw UserError.of(`${this.uri(obj.rel)} changed while it was being copied`, { ...(this.what ? { path: this.what } : {}), hint: "run again once it no longer changes" });
    }
  }

  private async downloadWhole(obj: RemoteObject, file: string, onBytes: (n: number) => void): Promise<{ verified: boolean }> {
    const partSize = await this.partSizeOf(obj);
    return this.req(this.uri(obj.rel), async () => {
      let got = 0;
      const fh = await open(file, "w");
      try {
        const hasher = new StreamHasher(partSize);
        const head = await this.conn.transport.send(
          { method: "GET", bucket: this.bucket, key: this.prefix + obj.rel },
          {
            head: (h) => this.checkSame(obj, h.headers.etag),
            data: (piece) => {
              if (got + piece.length > obj.size) throw new IntegrityError(`got more than the ${obj.size} bytes listed`);
              writeAt(fh.fd, piece, got);
              hasher.update(piece);
              got += piece.length;
              onBytes(piece.length);
            },
          },
        );
        if (got !== obj.size) throw new IntegrityError(`got ${got} bytes of ${obj.size}`);
        const h = hasher.finish();
        const md5 = head.headers["x-amz-meta-md5"];
        const facts: ObjectFacts = { size: obj.size, etag: obj.etag, ...(md5 ? { md5 } : {}), opaqueEtag: etagIsOpaque(head.headers) };
        const ok = matchesObject(facts, { md5: h.md5, parts: h.parts, ...(partSize ? { partSize } : {}) });
        if (ok === false) throw new IntegrityError("checksum mismatch");
        return { verified: ok === true };
      } catch (e) {
        onBytes(-got);
        throw e;
      } finally {
        await fh.close();
      }
    });
  }

  private async downloadRanges(obj: RemoteObject, file: string, onBytes: (n: number) => void): Promise<{ verified: boolean }> {
    const key = this.prefix + obj.rel;
    const uri = this.uri(obj.rel);
    const head = await this.req(uri, () => headObject(this.conn.transport, this.bucket, key));
    this.checkSame(obj, head.etag);
    const facts: ObjectFacts = { size: obj.size, etag: obj.etag, ...(head.metadata.md5 ? { md5: head.metadata.md5 } : {}), opaqueEtag: head.opaqueEtag };
    const partSize = facts.md5 || facts.opaqueEtag ? undefined : await this.partSizeOf(obj);
    // ranges on the upload's part boundaries let the multipart ETag be checked from the ranges' MD5s
    const composite = partSize !== undefined && partSize <= 256 * MiB;
    const range = composite ? partSize : PART_SIZE;
    const count = Math.ceil(obj.size / range);
    const partMd5s: Buffer[] = new Array(count);
    const fh = await open(file, "w");
    const whole = facts.md5 || isPlainMd5(obj.etag) ? new FrontierHasher(obj.size, range, PARTS_IN_FLIGHT * 2, new FileMd5(file)) : undefined;
    try {
      await fh.truncate(obj.size);
      await forEachLimited(
        Array.from({ length: count }, (_, i) => i),
        PARTS_IN_FLIGHT,
        async (i) => {
          await whole?.turn(i);
          const start = i * range;
          const end = Math.min(obj.size, start + range) - 1;
          const length = end - start + 1;
          partMd5s[i] = await this.req(uri, async () => {
            let got = 0;
            let hashed = 0;
            const part = composite ? createHash("md5") : undefined;
            try {
              // each piece goes to its place in the file as it comes, never gathered (a retry writes the same places again)
              await this.conn.transport.send(
                { method: "GET", bucket: this.bucket, key, headers: { range: `bytes=${start}-${end}`, ...(head.etagHeader ? { "if-match": head.etagHeader } : {}) } },
                {
                  data: (piece) => {
                    if (got + piece.length > length) throw new IntegrityError(`range ${start}-${end} came back longer than asked`);
                    writeAt(fh.fd, piece, start + got);
                    part?.update(piece);
                    got += piece.length;
                    onBytes(piece.length);
                    // the hash thread is told a MiB at a time: a message per read would cost more than it saves
                    if (got - hashed >= MiB || got === length) {
                      hashed = got;
                      whole?.progress(i, got);
                    }
                  },
                },
              );
              if (got !== length) throw new IntegrityError(`range ${start}-${end} came back with ${got} bytes`);
              return part?.digest() as Buffer;
            } catch (e) {
              onBytes(-got);
              throw e;
            }
          });
        },
      );
    } catch (e) {
      whole?.close();
      throw e;
    } finally {
      await fh.close();
    }
    const ok = matchesObject(facts, { ...(whole ? { md5: await whole.digest() } : {}), ...(composite ? { parts: partMd5s, partSize: range } : {}) });
    if (ok === false) throw explainS3Error(new IntegrityError("checksum mismatch"), { endpoint: this.conn.endpoint, uri, credentialSource: this.conn.credentialSource });
    return { verified: ok === true };
  }

  async sameContent(file: string, size: number, obj: RemoteObject): Promise<string | undefined> {
    if (size !== obj.size) return undefined;
    const n = multipartCount(obj.etag);
    if (!isPlainMd5(obj.etag) && n === undefined) return undefined;
    const partSize = await this.partSizeOf(obj);
    if (n && !partSize) return undefined;
    const hasher = new StreamHasher(partSize);
    for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hasher.update(chunk as Buffer);
    const h = hasher.finish();
    const same = n ? compositeEtag(h.parts) === obj.etag : h.md5 === obj.etag;
    return same ? h.md5 : undefined;
  }

  async upload(file: string, rel: string, size: number, onBytes: (n: number) => void): Promise<{ md5: string }> {
    if (size >= MULTIPART_THRESHOLD) return this.uploadParts(file, rel, size, onBytes);
    const body = await readFile(file);
    if (body.length !== size) throw UserError.of(`${file} changed while it was being uploaded`, { hint: "save outputs once they are complete" });
    const sum = md5(body);
    await this.putBody(rel, body, sum, undefined);
    onBytes(size);
    return { md5: sum.toString("hex") };
  }

  private async putBody(rel: string, body: Buffer, sum: Buffer, contentType: string | undefined): Promise<void> {
    const hex = sum.toString("hex");
    await this.req(this.uri(rel), async () => {
      const answer = await this.conn.transport.send({
        method: "PUT",
        bucket: this.bucket,
        key: this.prefix + rel,
        body,
        headers: { "content-md5": sum.toString("base64"), "x-amz-meta-md5": hex, ...(contentType ? { "content-type": contentType } : {}) },
      });
      const etag = answer.headers.etag;
      if (!etagIsOpaque(answer.headers) && etag && normalizeEtag(etag) !== hex) throw new IntegrityError(`the server stored ETag ${normalizeEtag(etag)}, expected ${hex}`);
    });
  }

  private async uploadParts(file: string, rel: string, size: number, onBytes: (n: number) => void): Promise<{ md5: string }> {
    const key = this.prefix + rel;
    const uri = this.uri(rel);
    const partSize = partSizeFor(size);
    const count = Math.ceil(size / partSize);
    const uploadId = await this.req(uri, () => createUpload(this.conn.transport, this.bucket, key));
    const whole = new OrderedHasher(PARTS_IN_FLIGHT * 2, new BackgroundMd5());
    const parts: UploadedPart[] = new Array(count);
    const partMd5s: Buffer[] = new Array(count);
    let sent = 0;
    const fh = await open(file, "r");
    try {
      await forEachLimited(
        Array.from({ length: count }, (_, i) => i),
        PARTS_IN_FLIGHT,
        async (i) => {
          await whole.turn(i);
          const start = i * partSize;
          const len = Math.min(partSize, size - start);
          const buf = Buffer.allocUnsafe(len);
          const { bytesRead } = await fh.read(buf, 0, len, start);
          if (bytesRead !== len) throw UserError.of(`${file} changed while it was being uploaded`, { hint: "save outputs once they are complete" });
          const sum = md5(buf);
          partMd5s[i] = sum;
          const res = await this.req(uri, async () => {
            const answer = await this.conn.transport.send({
              method: "PUT",
              bucket: this.bucket,
              key,
              query: { partNumber: String(i + 1), uploadId },
              body: buf,
              headers: { "content-md5": sum.toString("base64") },
            });
            const etag = answer.headers.etag;
            if (!etagIsOpaque(answer.headers) && etag && normalizeEtag(etag) !== sum.toString("hex")) throw new IntegrityError(`part ${i + 1} stored with ETag ${normalizeEtag(etag)}`);
            return etag;
          });
          parts[i] = { etag: res ?? `"${sum.toString("hex")}"`, partNumber: i + 1 };
          whole.add(i, buf); // sent: the hasher's thread may take it over
          sent += len;
          onBytes(len);
        },
      );
      const sum = await whole.digest();
      const done = await this.req(uri, () => completeUpload(this.conn.transport, this.bucket, key, uploadId, parts));
      const etag = normalizeEtag(done.etag);
      // servers give either the multipart form or (s3rver) the MD5 of the whole
      if (etag && etag !== compositeEtag(partMd5s) && etag !== sum && !done.opaqueEtag) {
        throw explainS3Error(new IntegrityError(`the server stored ETag ${etag}`), { endpoint: this.conn.endpoint, uri, credentialSource: this.conn.credentialSource });
      }
      return { md5: sum };
    } catch (e) {
      whole.close();
      onBytes(-sent);
      // no half-uploaded object may stay behind: drop the parts
      await abortUpload(this.conn.transport, this.bucket, key, uploadId).catch(() => undefined);
      throw e;
    } finally {
      await fh.close();
    }
  }

  async putText(rel: string, text: string, contentType: string): Promise<void> {
    const body = Buffer.from(text);
    await this.putBody(rel, body, md5(body), contentType);
  }

  async remove(rel: string): Promise<void> {
    await this.req(this.uri(rel), () => this.conn.transport.send({ method: "DELETE", bucket: this.bucket, key: this.prefix + rel }));
  }
}
