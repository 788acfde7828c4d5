/**
 * `node --openssl-legacy-provider s3rver-main.js <port> <dir> [bucket...]`:
 * the S3 test server (npm s3rver) in a process of its own, so a test can kill
 * it in the middle of a transfer and start it again on the same port and data.
 * The legacy provider is for s3rver's list continuation tokens (DES), which
 * OpenSSL 3 refuses otherwise: any listing past 1000 keys would fail.
 */
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";

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
