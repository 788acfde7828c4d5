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
 * s3rver 3.7 does not descend below the first folder when a delimiter is
 * given, so `prefix/` with only deeper objects lists as empty (real S3 gives
 * its sub-folders as common prefixes). List everything below the prefix and
 * roll the deeper keys up into common prefixes here, as S3 does.
 */
const listObjects: (this: unknown, bucket: string, options: ListOptions) => Promise<Listed> = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function (this: unknown, bucket: string, options: ListOptions): Promise<Listed> {
  const { delimiter = "", prefix = "", maxKeys = Number.POSITIVE_INFINITY } = options;
  if (!delimiter) return listObjects.call(this, bucket, options);
  const all = await listObjects.call(this, bucket, { ...options, delimiter: "", maxKeys: Number.POSITIVE_INFINITY });
  const objects: Listed["objects"] = [];
  const prefixes = new Set<string>();
  let isTruncated = false;
  for (const o of all.objects) {
    const at = o.key.indexOf(delimiter, prefix.length);
    if (at >= 0) prefixes.add(o.key.slice(0, at + delimiter.length));
    else if (objects.length < maxKeys) objects.push(o);
    else {
      isTruncated = true;
      break;
    }
  }
  return { objects, commonPrefixes: [...prefixes].sort(), isTruncated };
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
