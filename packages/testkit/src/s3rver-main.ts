/**
 * `node --openssl-legacy-provider s3rver-main.js <port> <dir> [bucket...]`:
 * the S3 test server (npm s3rver) in a process of its own, so a test can kill
 * it in the middle of a transfer and start it again on the same port and data.
 * The legacy provider is for s3rver's list continuation tokens (DES), which
 * OpenSSL 3 refuses otherwise: any listing past 1000 keys would fail.
 */
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
// @ts-expect-error s3rver ships no types
import FilesystemStore from "s3rver/lib/stores/filesystem.js";

interface ListOptions {
  delimiter?: string;
  prefix?: string;
  maxKeys?: number;
  startAfter?: string;
}
interface Listed {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

/**
 * Listings as S3 makes them. s3rver 3.7 lists keys in the order it walks its
 * folders (`data/x` before `data-1`, where S3 sorts by UTF-8 bytes:
 * `data-1` < `data.csv` < `data/x`) but pages with `key > marker`, so a
 * listing in pages silently loses keys that sort before a "folder" of the same
 * stem; and with a delimiter it does not descend below the first folder, so
 * `prefix/` with only deeper objects lists as empty. Here every key below the
 * prefix is listed, sorted by bytes, taken after the marker, and rolled up
 * into common prefixes (the original store still reads the files).
 *
 * A page holds at most maxKeys objects; common prefixes do not count (S3
 * counts them), and a truncated page ends with its last object (the prefixes
 * after it come on the next page), since s3rver's NextMarker and continuation
 * token are that object's key.
 */
const listObjects: (this: unknown, bucket: string, options: ListOptions) => Promise<Listed> = FilesystemStore.prototype.listObjects;
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
FilesystemStore.prototype.listObjects = async function (this: unknown, bucket: string, options: ListOptions): Promise<Listed> {
  const { delimiter = "", prefix = "", maxKeys = Number.POSITIVE_INFINITY, startAfter = "" } = options;
  const all = await listObjects.call(this, bucket, { prefix, maxKeys: Number.POSITIVE_INFINITY });
  const keys = all.objects.filter((o) => o.key.startsWith(prefix) && (!startAfter || byBytes(o.key, startAfter) > 0)).sort((a, b) => byBytes(a.key, b.key));
  const objects: Listed["objects"] = [];
  const prefixes: { prefix: string; objectsBefore: number }[] = [];
  let isTruncated = false;
  for (const o of keys) {
    const at = delimiter ? o.key.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0) {
      const p = o.key.slice(0, at + delimiter.length);
      if (prefixes[prefixes.length - 1]?.prefix !== p) prefixes.push({ prefix: p, objectsBefore: objects.length });
    } else if (objects.length < maxKeys) objects.push(o);
    else {
      isTruncated = true;
      break;
    }
  }
  const commonPrefixes = prefixes.filter((p) => !isTruncated || p.objectsBefore < objects.length).map((p) => p.prefix);
  return { objects, commonPrefixes, isTruncated };
};

const [port, dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: Number(port),
  directory: dir,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});
await server.run();
process.stdout.write(`ready ${port}\n`);
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
