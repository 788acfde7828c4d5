import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { loadAves2Settings } from "../../src/backends/aves2/settings.js";
import { createBackend } from "../../src/backends/index.js";
import { loadConfig } from "../../src/config/config.js";
import { hostpathStore } from "@aves2/storage";
import { storeFor } from "@aves2/storage";

function cfgFile(): string {
  const dir = tempDir("aves2-cfg-");
  const file = join(dir, "aves2.cfg");
  writeFileSync(
    file,
    [
      "[Aves2Server]",
      "    host = 'http://aves2.example/aves2/'",
      "    api_token = 'file-token'",
      "[UserInfo]",
      "    username = 'ada'",
      "    namespace = 'ada-ns'",
      "[StorageConf]",
      "    [[S3]]",
      "        S3Endpoint = 'http://s3.example'",
      "        S3AccessKeyId = 'AKID'",
      "        S3SecretAccessKey = 'file-secret'",
    ].join("\n"),
  );
  return file;
}

describe("AVES2 settings: flags > env > ~/.aves2/aves2.cfg", () => {
  it("reads the client's config file", () => {
    const file = cfgFile();
    const s = loadAves2Settings({}, { AVES2_CLIENT_CONFIG: file });
    expect(s).toEqual({
      cfgFile: file,
      host: { value: "http://aves2.example/aves2/", source: `${file} (Aves2Server.host)` },
      token: { value: "file-token", source: `${file} (Aves2Server.api_token)` },
      username: { value: "ada", source: `${file} (UserInfo.username)` },
      namespace: { value: "ada-ns", source: `${file} (UserInfo.namespace)` },
      s3: { S3Endpoint: "http://s3.example", S3AccessKeyId: "AKID", S3SecretAccessKey: "file-secret" },
    });
  });

  it("env and flags win", () => {
    const file = cfgFile();
    const s = loadAves2Settings(
      { host: "http://flag.example/aves2/" },
      { AVES2_CLIENT_CONFIG: file, AVES2_HOST: "http://env.example/aves2/", AVES2_TOKEN: "env-token", AVES2_NAMESPACE: "env-ns", AVES2_S3_SECRET_ACCESS_KEY: "env-secret" },
    );
    expect(s.host).toEqual({ value: "http://flag.example/aves2/", source: "--aves2-host" });
    expect(s.token).toEqual({ value: "env-token", source: "AVES2_TOKEN" });
    expect(s.namespace?.value).toBe("env-ns");
    expect(s.s3?.S3SecretAccessKey).toBe("env-secret");
    expect(s.s3?.S3AccessKeyId).toBe("AKID");
  });

  it("nothing configured: no host, no token, no S3", () => {
    expect(loadAves2Settings({}, { AVES2_CLIENT_CONFIG: "/no/such/aves2.cfg" })).toEqual({ cfgFile: "/no/such/aves2.cfg", s3: null });
  });

  it("createBackend makes the aves2 backend from the context", () => {
    const root = tempDir("aves2-root-");
    mkdirSync(join(root, "components"));
    const config = loadConfig(root, {}, { HOME: root });
    const b = createBackend("aves2", { config, libs: [], env: { AVES2_CLIENT_CONFIG: cfgFile() } });
    expect(b.name).toBe("aves2");
    expect(() => createBackend("slurm", { config, libs: [] })).toThrow(/unknown backend "slurm"/);
  });
});

describe("hostpath:// on this machine", () => {
  it("is the folder itself: a job file's HostPath data runs locally", async () => {
    const dir = tempDir("hostpath-");
    writeFileSync(join(dir, "x.txt"), "x");
    const uri = { scheme: "hostpath", path: dir } as const;
    expect(storeFor(uri, "--input d")).toBe(hostpathStore);
    await hostpathStore.checkInput(uri, "--input d");
    expect(hostpathStore.localPath?.(uri)).toBe(dir);
    await expect(hostpathStore.checkInput({ scheme: "hostpath", path: `${dir}/nope` }, "--input d")).rejects.toThrow(`${dir}/nope does not exist`);
  });
});
