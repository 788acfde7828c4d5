import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { type S3TestServer, startS3FidelityProxy, startS3Server, tempDir } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bundle } from "../../src/bundle/bundle.js";
import { S3Catalog } from "../../src/publish/s3-bundles.js";
import type { S3Settings } from "@aves2/storage/config";

// The catalog index in object storage against s3rver: publishes at the same time must not lose a version.

let server: S3TestServer;
let s3: S3Settings;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startS3Server({ buckets: ["cat"] });
  Object.assign(process.env, server.env({ AVES2_CACHE_DIR: tempDir("aves2-cache-") }));
  s3 = { endpoint: server.endpoint, region: "us-east-1", pathStyle: true };
});

afterAll(async () => {
  process.env = saved;
  await server?.stop();
});

function bundle(name: string, version: string): Bundle {
  const dir = tempDir("aves2-bundle-");
  mkdirSync(join(dir, "package", "src"), { recursive: true });
  writeFileSync(join(dir, "package", "src", "main.py"), `print("${name} ${version}")\n`);
  const info = { name, version, title: `${name} title`, description: "", category: "test", framework: "none", distribute: [], params: {}, inputs: [], outputs: {}, source: "src" };
  return { info, dir, tarball: Buffer.from(`tarball of ${name}@${version}`), integrity: `sha512-${name}${version}`, shasum: "0".repeat(40), manifest: { name, version } } as unknown as Bundle;
}

describe("a catalog index that publishes at the same time cannot lose", () => {
  it("keeps every version of six publishes run at once, each in its own entry", async () => {
    const versions = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0", "3.0.0"];
    await Promise.all(versions.map((v) => new S3Catalog("s3://cat/race/", s3).bundleStore().upload(bundle("echo", v))));
    const index = await new S3Catalog("s3://cat/race/", s3, "--from").index();
    expect(Object.keys(index!.components.echo!.versions).sort()).toEqual(versions);
    expect(index!.components.echo!.versions["2.1.0"]).toMatchObject({ tarball: "echo/echo-2.1.0.tgz", code: "echo/2.1.0/", integrity: "sha512-echo2.1.0" });
    const source = new S3Catalog("s3://cat/race/", s3, "--from").source();
    const listed = await source.versions("echo");
    expect(listed?.map((v) => v.version).sort()).toEqual(versions);
    expect((await source.download(listed!.find((v) => v.version === "3.0.0")!)).toString()).toBe("tarball of echo@3.0.0");
  });

  it("makes up from the entries what a stale index.json lacks, and still reads a catalog that has only index.json", async () => {
    await new S3Catalog("s3://cat/stale/", s3).bundleStore().upload(bundle("alpha", "0.1.0"));
    await new S3Catalog("s3://cat/stale/", s3).bundleStore().upload(bundle("beta", "0.2.0"));
    // a summary rewritten by a server that ignored If-Match, missing beta
    const onlyAlpha = await new S3Catalog("s3://cat/stale/", s3).index();
    const { beta: _beta, ...rest } = onlyAlpha!.components;
    const client = server.client();
    await client.send(new PutObjectCommand({ Bucket: "cat", Key: "stale/index.json", Body: JSON.stringify({ updated: "", components: rest }) }));
    expect(Object.keys((await new S3Catalog("s3://cat/stale/", s3).index())!.components).sort()).toEqual(["alpha", "beta"]);

    // a catalog written before entries existed: index.json alone
    await client.send(new PutObjectCommand({ Bucket: "cat", Key: "old/index.json", Body: JSON.stringify({ updated: "", components: rest }) }));
    expect(Object.keys((await new S3Catalog("s3://cat/old/", s3).index())!.components)).toEqual(["alpha"]);
    expect(await new S3Catalog("s3://cat/none/", s3).index()).toBeUndefined();
  });

  it("on a server that honours If-Match, index.json itself ends up with every version of publishes run at once", async () => {
    const proxy = await startS3FidelityProxy(server.endpoint);
    try {
      const settings = { ...s3, endpoint: proxy.url };
      const versions = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"];
      await Promise.all(versions.map((v) => new S3Catalog("s3://cat/cond/", settings).bundleStore().upload(bundle("gamma", v))));
      // summaries written on a stale read were refused (412) and written again from a fresh one
      const raw = await server.client().send(new GetObjectCommand({ Bucket: "cat", Key: "cond/index.json" }));
      const summary = JSON.parse(await raw.Body!.transformToString());
      expect(Object.keys(summary.components.gamma.versions).sort()).toEqual(versions);
    } finally {
      await proxy.stop();
    }
  });
});
