import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { resolveS3Config, s3Settings } from "../../src/config/s3-config.js";
import { BackgroundMd5, compositeEtag, FileMd5, type FileRange, FrontierHasher, inferPartSize, matchesObject, type Md5Sink, OrderedHasher, StreamHasher } from "../../src/storage/checksum.js";
import { findCredentials } from "../../src/storage/s3/credentials.js";
import { explainS3Error } from "../../src/storage/s3/errors.js";

/** A HOME with no AWS or AVES2 files, so nothing on this machine leaks into a test. */
function home(files: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = tempDir("aves2-home-");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { HOME: dir, AWS_SHARED_CREDENTIALS_FILE: join(dir, ".aws/credentials"), AWS_CONFIG_FILE: join(dir, ".aws/config") };
}

const CFG = "[StorageConf]\n  [[S3]]\n    S3Endpoint = 'http://ceph.example:7480'\n    S3AccessKeyId = 'CFGKEY'\n    S3SecretAccessKey = 'cfg-secret'\n";

describe("S3 settings: flags > environment > project > user > aves2.cfg > defaults", () => {
  it("takes the endpoint from the AWS variables first, then the config files, then aves2.cfg", () => {
    const env = home({ ".aves2/aves2.cfg": CFG });
    const project = { s3: { endpoint: "http://minio.local:9000", region: "eu-west-1" }, file: "/p/aves2.config.yaml" };
    expect(resolveS3Config([project], { ...env, AWS_ENDPOINT_URL: "http://127.0.0.1:4568/" }).endpoint).toEqual({ value: "http://127.0.0.1:4568", source: "AWS_ENDPOINT_URL" });
    expect(resolveS3Config([project], env)).toMatchObject({
      endpoint: { value: "http://minio.local:9000", source: "/p/aves2.config.yaml (s3.endpoint)" },
      region: { value: "eu-west-1" },
      pathStyle: { value: true },
    });
    const fromCfg = resolveS3Config([], env);
    expect(fromCfg.endpoint).toEqual({ value: "http://ceph.example:7480", source: `${env.HOME}/.aves2/aves2.cfg [StorageConf][[S3]] S3Endpoint` });
    expect(s3Settings(resolveS3Config([], home()))).toEqual({ region: "us-east-1", pathStyle: false });
  });

  it("addresses AWS and OSS buckets virtual-hosted, anything else path-style, unless told", () => {
    const env = home();
    expect(resolveS3Config([], { ...env, AWS_ENDPOINT_URL: "https://s3.eu-west-1.amazonaws.com" }).pathStyle.value).toBe(false);
    expect(resolveS3Config([], { ...env, AWS_ENDPOINT_URL: "https://oss-cn-beijing.aliyuncs.com" }).pathStyle.value).toBe(false);
    expect(resolveS3Config([], { ...env, AWS_ENDPOINT_URL: "http://10.0.0.5:7480" }).pathStyle.value).toBe(true);
    expect(resolveS3Config([], { ...env, AWS_ENDPOINT_URL: "http://10.0.0.5:7480", AVES2_S3_PATH_STYLE: "false" }).pathStyle).toEqual({ value: false, source: "AVES2_S3_PATH_STYLE" });
  });

  it("reads the region of the chosen profile from ~/.aws/config", () => {
    const env = { ...home({ ".aws/config": "[default]\nregion = us-west-2\n[profile lab]\nregion = ap-southeast-1\n" }), AWS_PROFILE: "lab" };
    expect(resolveS3Config([], env)).toMatchObject({ region: { value: "ap-southeast-1" }, profile: { value: "lab", source: "AWS_PROFILE" } });
    expect(resolveS3Config([], { ...env, AWS_REGION: "cn-north-1" }).region).toEqual({ value: "cn-north-1", source: "AWS_REGION" });
  });

  it("rejects a bad endpoint and unknown s3 keys, naming where they are", () => {
    expect(() => resolveS3Config([], { ...home(), AWS_ENDPOINT_URL: "minio:9000" })).toThrow(/AWS_ENDPOINT_URL: S3 endpoint "minio:9000" is not an http\(s\) URL/);
    const root = tempDir();
    writeFileSync(join(root, "aves2.config.yaml"), "s3:\n  endpont: http://x\n");
    expect(() => loadConfig(root, {}, home())).toThrow(/aves2\.config\.yaml: unknown setting "s3\.endpont"/);
    writeFileSync(join(root, "aves2.config.yaml"), "s3:\n  endpoint: http://127.0.0.1:9000\n  pathStyle: true\n  profile: lab\n");
    expect(loadConfig(root, {}, home()).s3).toMatchObject({ endpoint: { value: "http://127.0.0.1:9000" }, pathStyle: { value: true }, profile: { value: "lab" } });
  });
});

describe("S3 credentials: environment, shared files and profiles, aves2.cfg", () => {
  const settings = { region: "us-east-1", pathStyle: true, endpoint: "http://127.0.0.1:4568" };

  it("uses the environment first", async () => {
    const c = await findCredentials(settings, { ...home({ ".aves2/aves2.cfg": CFG }), AWS_ACCESS_KEY_ID: "ENVKEY", AWS_SECRET_ACCESS_KEY: "env-secret" });
    expect(c.source).toBe("AWS_ACCESS_KEY_ID in the environment");
    expect(await c.provider()).toMatchObject({ accessKeyId: "ENVKEY", secretAccessKey: "env-secret" });
    await expect(findCredentials(settings, { ...home(), AWS_ACCESS_KEY_ID: "ENVKEY" })).rejects.toThrow(/AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
  });

  it("then a profile of the shared credentials file", async () => {
    const env = { ...home({ ".aws/credentials": "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n[lab]\naws_access_key_id = LABKEY\naws_secret_access_key = lab-secret\n" }) };
    expect(await (await findCredentials(settings, env)).provider()).toMatchObject({ accessKeyId: "DEF" });
    const lab = await findCredentials({ ...settings, profile: "lab" }, env);
    expect(lab.source).toBe('AWS profile "lab"');
    expect(await lab.provider()).toMatchObject({ accessKeyId: "LABKEY", secretAccessKey: "lab-secret" });
    await expect(findCredentials({ ...settings, profile: "nope" }, env)).rejects.toThrow(/s3\.profile: AWS profile "nope" has no usable credentials/);
  });

  it("then the AVES2 client's aves2.cfg, which comes first when its endpoint is the one in use", async () => {
    const env = home({ ".aves2/aves2.cfg": CFG, ".aws/credentials": "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n" });
    const ceph = await findCredentials({ ...settings, endpoint: "http://ceph.example:7480" }, env);
    expect(ceph.source).toMatch(/aves2\.cfg \[StorageConf\] \[\[S3\]\]$/);
    expect(await ceph.provider()).toMatchObject({ accessKeyId: "CFGKEY" });
    expect((await findCredentials(settings, env)).source).toBe('AWS profile "default"');
    expect(await (await findCredentials(settings, home({ ".aves2/aves2.cfg": CFG }))).provider()).toMatchObject({ accessKeyId: "CFGKEY" });
  });

  it("says how to give them when there are none", async () => {
    await expect(findCredentials(settings, home())).rejects.toThrow(
      /no S3 credentials found for http:\/\/127\.0\.0\.1:4568 \(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~\/\.aws\/credentials \(AWS_PROFILE\), or S3AccessKeyId/,
    );
  });
});

describe("errors from the server, explained", () => {
  const at = { endpoint: "http://s3.test", uri: "s3://b/out/", what: "--output result_dir", credentialSource: "AWS_ACCESS_KEY_ID in the environment" };
  const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it("names the endpoint, the bucket and where the credentials came from", () => {
    expect(String(explainS3Error(sdkError("AccessDenied", 403), at))).toBe(
      "UserError: --output result_dir: access denied to s3://b/out/ at http://s3.test (credentials from AWS_ACCESS_KEY_ID in the environment) (check the credentials and the bucket's policy)",
    );
    expect(String(explainS3Error(sdkError("SignatureDoesNotMatch", 403), at))).toMatch(/the secret access key does not match the access key id at http:\/\/s3\.test/);
    expect(String(explainS3Error(sdkError("PermanentRedirect", 301), at))).toMatch(/bucket "b" is not in the region used .*set the bucket's region with AWS_REGION/);
    expect(String(explainS3Error(sdkError("SlowDown", 503), at))).toMatch(/the S3 endpoint http:\/\/s3\.test kept failing on s3:\/\/b\/out\/: 503 SlowDown/);
    const bug = new TypeError("x is undefined");
    expect(explainS3Error(bug, at)).toBe(bug);
  });
});

describe("checksums", () => {
  const md5 = (b: Buffer) => createHash("md5").update(b).digest();

  it("infers the part size of a multipart ETag and checks objects against it", () => {
    const MiB = 1024 * 1024;
    expect(inferPartSize(100 * MiB, 13)).toBe(8 * MiB);
    expect(inferPartSize(100 * MiB, 20)).toBe(5 * MiB);
    expect(inferPartSize(10, 3)).toBeUndefined();
    const data = Buffer.alloc(3 * 1024 + 5, 7);
    const h = new StreamHasher(1024);
    for (let i = 0; i < data.length; i += 700) h.update(data.subarray(i, i + 700));
    const { md5: whole, parts } = h.finish();
    expect(whole).toBe(md5(data).toString("hex"));
    expect(parts.map((p) => p.toString("hex"))).toEqual([0, 1, 2, 3].map((i) => md5(data.subarray(i * 1024, (i + 1) * 1024)).toString("hex")));
    const etag = compositeEtag(parts);
    expect(etag).toMatch(/^[0-9a-f]{32}-4$/);
    expect(matchesObject({ size: data.length, etag }, { parts, partSize: 1024 })).toBe(true);
    expect(matchesObject({ size: data.length, etag }, { parts: parts.slice().reverse(), partSize: 1024 })).toBe(false);
    expect(matchesObject({ size: data.length, etag: whole }, { md5: whole })).toBe(true);
    expect(matchesObject({ size: data.length, etag: whole, kms: true }, { md5: "0".repeat(32) })).toBeUndefined();
  });

  it("hashes pieces that arrive out of order, holding back those too far ahead", async () => {
    const pieces = ["a", "b", "c", "d", "e"].map((s) => Buffer.from(s.repeat(10)));
    const h = new OrderedHasher(2);
    let fourth = false;
    const waiting = h.turn(3).then(() => (fourth = true));
    h.add(1, pieces[1]!);
    await new Promise((r) => setTimeout(r, 10));
    expect(fourth).toBe(false);
    h.add(0, pieces[0]!);
    await waiting;
    expect(fourth).toBe(true);
    for (const i of [4, 2, 3]) h.add(i, pieces[i]!);
    expect(await h.digest()).toBe(md5(Buffer.concat(pieces)).toString("hex"));
    // the same on another thread, as large transfers hash
    const bg = new OrderedHasher(2, new BackgroundMd5());
    for (const i of [1, 0, 3, 2, 4]) bg.add(i, pieces[i]!);
    expect(await bg.digest()).toBe(md5(Buffer.concat(pieces)).toString("hex"));
  });

  it("hashes a file written in parallel ranges as soon as everything before is written, each byte once", async () => {
    // 3 ranges of 10 bytes and a last one of 5
    const seen: FileRange[] = [];
    const sink: Md5Sink<FileRange> = { update: (r) => void seen.push(r), digest: async () => "done", close: () => undefined };
    const h = new FrontierHasher(35, 10, 2, sink);
    let third = false;
    const waiting = h.turn(2).then(() => (third = true));
    h.progress(1, 10); // the second range, before anything of the first: nothing can be hashed yet
    expect(seen).toEqual([]);
    h.progress(0, 4); // part of the first range: hashed at once, not when the range is complete
    expect(seen).toEqual([{ start: 0, length: 4 }]);
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false); // two ranges past the one at the frontier
    h.progress(0, 2); // a retry writes the same bytes again: not hashed twice
    h.progress(0, 10); // the first range done: the second, already written, follows
    expect(seen).toEqual([
      { start: 0, length: 4 },
      { start: 4, length: 16 },
    ]);
    await waiting;
    expect(third).toBe(true);
    h.progress(3, 5);
    await expect(new FrontierHasher(35, 10, 2, { ...sink }).digest()).rejects.toThrow(/hashed 0 bytes of 35/);
    h.progress(2, 10);
    expect(seen.at(-1)).toEqual({ start: 20, length: 15 });
    expect(await h.digest()).toBe("done");
  });

  it("hashes a file on another thread from the ranges written to it", async () => {
    const data = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
    const file = join(tempDir("aves2-md5-"), "f");
    writeFileSync(file, data);
    const h = new FrontierHasher(data.length, 8, 4, new FileMd5(file));
    for (const [i, n] of [[2, 8], [0, 3], [1, 8], [4, 4], [0, 8], [3, 8]] as const) h.progress(i, n);
    expect(await h.digest()).toBe(md5(data).toString("hex"));
  });
});
