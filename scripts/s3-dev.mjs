#!/usr/bin/env node
// `pnpm s3:dev`: a local S3-compatible server (npm s3rver, the one the tests
// use) with the bucket `aves2` and the sample datasets in it, so the s3://
// flow can be tried on one machine. Prints what to export and a command to
// run; Ctrl-C stops it. Objects are kept between starts (S3_DEV_DIR).
//
//   S3_DEV_PORT  port on 127.0.0.1 (default 9000)
//   S3_DEV_DIR   where objects are kept (default <cache dir>/s3-dev)
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = (p) => {
  const file = join(root, p);
  if (!existsSync(file)) {
    console.error(`error: ${p} is not built (pnpm build)`);
    process.exit(2);
  }
  return import(file);
};
const { startS3Server } = await built("packages/testkit/dist/index.js");
const core = await built("packages/core/dist/index.js");

const port = Number(process.env.S3_DEV_PORT ?? 9000);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`error: S3_DEV_PORT: "${process.env.S3_DEV_PORT}" is not a port number`);
  process.exit(2);
}
const dir = process.env.S3_DEV_DIR ?? join(core.cacheRoot(), "s3-dev");
mkdirSync(dir, { recursive: true });

/** Sample datasets of the catalog: local folder → where they go in the bucket. */
const DATASETS = [{ from: "components/mobilenet-v2/data/digits", to: "s3://aves2/datasets/digits/" }];

let server;
try {
  server = await startS3Server({ buckets: ["aves2"], dir, port });
} catch (e) {
  const busy = /EADDRINUSE/.test(e.message);
  console.error(busy ? `error: port ${port} is in use (is pnpm s3:dev already running?); set S3_DEV_PORT to use another` : `error: the S3 server did not start: ${e.message}`);
  process.exit(2);
}
const env = server.env();
Object.assign(process.env, env);

const s3 = { endpoint: server.endpoint, region: env.AWS_REGION, pathStyle: true };
for (const d of DATASETS) {
  // the staging engine itself: unchanged files are skipped, so a restart uploads nothing
  const t = await core.syncUris(join(root, d.from), d.to, { cwd: root, s3 });
  console.log(`${d.to}: ${t.files} files uploaded, ${t.skipped ?? 0} already there`);
}

const exports = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"].map((k) => `${k}=${env[k]}`).join(" ");
console.log(`
S3 dev server on ${server.endpoint} (bucket aves2, objects in ${dir}). In another shell:

  export ${exports}
  pnpm component storage ls s3://aves2/datasets/digits/
  pnpm component run mobilenet-v2 --set epochs=1 \\
    --input train_data_dir=s3://aves2/datasets/digits/train/ \\
    --input validation_data_dir=s3://aves2/datasets/digits/validation/ \\
    --output result_dir=s3://aves2/runs/mnv2/out/
  pnpm component storage sync s3://aves2/runs/mnv2/out/ ./mnv2-out

(s3rver's fixed test credentials; they open nothing but this local server.) Ctrl-C stops it.`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
