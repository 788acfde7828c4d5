import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startContainerCredentialsServer, startInstanceMetadataServer, startSilentServer, startStsWebIdentityServer, tempDir } from "@aves2/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { resolveS3Config, s3Settings } from "@aves2/storage/config";
import { findCredentials } from "@aves2/storage";
import { UserError } from "../../src/errors.js";
import { explainS3Error } from "@aves2/storage";

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
    // nothing in the environment the SDK's chain reads either, and no instance metadata to ask
    const env = sdkEnv({ AWS_EC2_METADATA_DISABLED: "true" });
    const e = await findCredentials(settings, env).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(
      /^no S3 credentials found for http:\/\/127\.0\.0\.1:4568 \(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~\/\.aws\/credentials \(AWS_PROFILE\), or S3AccessKeyId/,
    );
    expect((e as Error).message).toMatch(/web identity token \(AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN.*container credentials \(AWS_CONTAINER_CREDENTIALS_FULL_URI.*EC2 instance metadata\)$/);
    expect((e as Error).message).not.toMatch(/\n\s+at /);
  });
});

/**
 * The SDK's own chain reads the process environment, not the one passed in:
 * each test here gives the process a temp HOME, temp shared files and none of
 * this machine's AWS variables, then only what the test sets.
 */
const SDK_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_STS",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
  "AWS_EC2_METADATA_V1_DISABLED",
  "AVES2_CLIENT_CONFIG",
];
function sdkEnv(vars: Record<string, string> = {}, files: Record<string, string> = {}): NodeJS.ProcessEnv {
  for (const n of SDK_VARS) vi.stubEnv(n, undefined);
  for (const [k, v] of Object.entries({ ...home(files), ...vars })) vi.stubEnv(k, v);
  return process.env;
}

describe("S3 credentials: the rest of the AWS SDK's chain (web identity, containers, instance metadata)", () => {
  const settings = { region: "us-east-1", pathStyle: true, endpoint: "http://127.0.0.1:4568" };
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(stops.splice(0).map((s) => s()));
  });

  it("takes container credentials (ECS task role, EKS Pod Identity) from AWS_CONTAINER_CREDENTIALS_FULL_URI", async () => {
    const ecs = await startContainerCredentialsServer({ authorization: "pod-identity-token" });
    stops.push(ecs.stop);
    const env = sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: "pod-identity-token", AWS_EC2_METADATA_DISABLED: "true" });
    const c = await findCredentials(settings, env);
    expect(c.source).toBe("container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)");
    const creds = await c.provider();
    expect(creds).toEqual({ accessKeyId: "ASIACONTAINER1", secretAccessKey: "secret-asiacontainer-1", sessionToken: "token-asiacontainer-1", expiration: ecs.issued[0]!.expiration });
    expect(ecs.authorizations).toEqual(["pod-identity-token"]);
    // good for an hour: asked once
    expect(await c.provider()).toBe(creds);
    expect(ecs.issued).toHaveLength(1);
  });

  it("refreshes credentials a minute before they expire", async () => {
    const ecs = await startContainerCredentialsServer({ lifetimeMs: 30_000 });
    stops.push(ecs.stop);
    const c = await findCredentials(settings, sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri }));
    expect((await c.provider()).accessKeyId).toBe("ASIACONTAINER1");
    expect((await c.provider()).accessKeyId).toBe("ASIACONTAINER2");
    expect(ecs.issued).toHaveLength(2);
  });

  it("takes EC2 instance metadata (IMDSv2, with a token)", async () => {
    const imds = await startInstanceMetadataServer();
    stops.push(imds.stop);
    const c = await findCredentials(settings, sdkEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }));
    expect(c.source).toBe("EC2 instance metadata");
    expect(await c.provider()).toEqual({ accessKeyId: "ASIAINSTANCE1", secretAccessKey: "secret-asiainstance-1", sessionToken: "token-asiainstance-1", expiration: imds.issued[0]!.expiration });
    expect(imds.seen).toEqual([
      "PUT /latest/api/token",
      "GET /latest/meta-data/iam/security-credentials/",
      `GET /latest/meta-data/iam/security-credentials/${imds.role}`,
    ]);
  });

  it("takes a web identity token (EKS IRSA) and trades it at STS for the role's credentials", async () => {
    const sts = await startStsWebIdentityServer();
    stops.push(sts.stop);
    const tokenFile = join(tempDir("aves2-irsa-"), "token");
    writeFileSync(tokenFile, "eyJ.service-account.token");
    const role = "arn:aws:iam::111122223333:role/aves2-runner";
    const env = sdkEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: role, AWS_ENDPOINT_URL_STS: sts.endpoint, AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    const c = await findCredentials(settings, env).finally(() => process.off("warning", onWarning));
    expect(warnings).toEqual([]); // no "node >=22" notice from the STS client
    expect(c.source).toBe(`web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, role ${role})`);
    expect(await c.provider()).toEqual({ accessKeyId: "ASIAWEBIDENTITY1", secretAccessKey: "secret-asiawebidentity-1", sessionToken: "token-asiawebidentity-1", expiration: sts.issued[0]!.expiration });
    expect(sts.calls).toEqual([expect.objectContaining({ RoleArn: role, WebIdentityToken: "eyJ.service-account.token" })]);
  });

  it("runs the credential_process of a profile", async () => {
    const script = join(tempDir("aves2-proc-"), "creds.mjs");
    writeFileSync(script, 'process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: "PROCKEY", SecretAccessKey: "proc-secret" }));\n');
    const files = { ".aws/config": `[profile tool]\ncredential_process = "${process.execPath}" "${script}"\n[default]\ncredential_process = "${process.execPath}" "${script}"\n` };
    const tool = await findCredentials({ ...settings, profile: "tool" }, sdkEnv({}, files));
    expect(tool.source).toBe('credential_process of AWS profile "tool"');
    expect(await tool.provider()).toEqual({ accessKeyId: "PROCKEY", secretAccessKey: "proc-secret" });
    expect((await findCredentials(settings, sdkEnv({}, files))).source).toBe('credential_process of AWS profile "default"');
  });

  it("comes after the environment, the profiles and aves2.cfg", async () => {
    const ecs = await startContainerCredentialsServer();
    stops.push(ecs.stop);
    const env = sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri }, { ".aves2/aves2.cfg": CFG });
    expect((await findCredentials(settings, env)).source).toMatch(/aves2\.cfg \[StorageConf\] \[\[S3\]\]$/);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "ENVKEY");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "env-secret");
    expect((await findCredentials(settings, process.env)).source).toBe("AWS_ACCESS_KEY_ID in the environment");
    expect(ecs.issued).toHaveLength(0);
  });

  it("names a configured source that fails, in one line", async () => {
    const role = "arn:aws:iam::111122223333:role/aves2-runner";
    const missing = join(tempDir("aves2-irsa-"), "no-such-token");
    const broken = await findCredentials(settings, sdkEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: missing, AWS_ROLE_ARN: role, AWS_EC2_METADATA_DISABLED: "true" })).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(UserError);
    expect((broken as Error).message).toBe(
      `web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, role ${role}) gave no S3 credentials for http://127.0.0.1:4568: ENOENT: no such file or directory, open '${missing}' ` +
        "(check the token file and the role's trust policy (on EKS: the service account's eks.amazonaws.com/role-arn), or unset AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)",
    );

    const sts = await startStsWebIdentityServer();
    stops.push(sts.stop);
    const badToken = join(tempDir("aves2-irsa-"), "token");
    writeFileSync(badToken, "bad");
    await expect(findCredentials(settings, sdkEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: badToken, AWS_ROLE_ARN: role, AWS_ENDPOINT_URL_STS: sts.endpoint, AWS_REGION: "us-east-1" }))).rejects.toThrow(
      /^web identity token \(AWS_WEB_IDENTITY_TOKEN_FILE, role arn:aws:iam::111122223333:role\/aves2-runner\) gave no S3 credentials for http:\/\/127\.0\.0\.1:4568: InvalidIdentityToken\w*: Incorrect token audience \(/,
    );
    await expect(findCredentials(settings, sdkEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: badToken }))).rejects.toThrow(/^environment: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not/);

    const refused = `http://127.0.0.1:${await freePort()}/v2/credentials/x`;
    const e = await findCredentials(settings, sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: refused })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^container credentials \(AWS_CONTAINER_CREDENTIALS_FULL_URI\) gave no S3 credentials for http:\/\/127\.0\.0\.1:4568: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(check the task role/);

    const ecs = await startContainerCredentialsServer();
    stops.push(ecs.stop);
    ecs.failWith(500);
    await expect(findCredentials(settings, sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri }))).rejects.toThrow(/^container credentials \(AWS_CONTAINER_CREDENTIALS_FULL_URI\) gave no S3 credentials for http:\/\/127\.0\.0\.1:4568: http:\/\/127\.0\.0\.1:\d+\/v2\/credentials\/test-task did not answer with credentials \(/);
  });

  // how long these two wait before giving up is measured by `pnpm bench credentials`, not asserted here
  it("gives up on a container endpoint that takes the connection and never answers", async () => {
    const silent = await startSilentServer();
    stops.push(silent.stop);
    const e = await findCredentials(settings, sdkEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${silent.url}/v2/credentials/x` })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^container credentials \(AWS_CONTAINER_CREDENTIALS_FULL_URI\) gave no S3 credentials for http:\/\/127\.0\.0\.1:4568: no answer within 900 ms \(/);
  });

  it("gives up on instance metadata that does not answer", async () => {
    const silent = await startSilentServer();
    stops.push(silent.stop);
    const e = await findCredentials(settings, sdkEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: silent.url })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^EC2 instance metadata \(AWS_EC2_METADATA_SERVICE_ENDPOINT http:\/\/127\.0\.0\.1:\d+\) gave no S3 credentials for http:\/\/127\.0\.0\.1:4568 \(/);
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
