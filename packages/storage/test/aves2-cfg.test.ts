import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNestedIni, readAves2ClientConfig } from "../src/config/aves2-cfg.js";

describe("~/.aves2/aves2.cfg", () => {
  it("reads the client's nested sections and quoted values", () => {
    const file = join(mkdtempSync(join(tmpdir(), "cfg-")), "aves2.cfg");
    writeFileSync(
      file,
      [
        "[Aves2Server]",
        "    host = 'http://aves2.example/aves2/'",
        "    api_token = 'tok-123'",
        "[UserInfo]",
        "    username = 'ada'",
        "    namespace = ''",
        "[StorageConf]",
        "    [[S3]]",
        "        S3Endpoint = 'http://127.0.0.1:9000'",
        '        S3AccessKeyId = "AKID"',
        "        S3SecretAccessKey = 's3cr=t'",
      ].join("\n"),
    );
    expect(readAves2ClientConfig(file)).toEqual({
      file,
      server: { host: "http://aves2.example/aves2/", apiToken: "tok-123" },
      user: { username: "ada", namespace: undefined },
      s3: { endpoint: "http://127.0.0.1:9000", accessKeyId: "AKID", secretAccessKey: "s3cr=t" },
    });
  });

  it("is absent when the file is", () => {
    expect(readAves2ClientConfig("/no/such/aves2.cfg")).toBeUndefined();
  });

  it("names the line of a malformed entry", () => {
    expect(() => parseNestedIni("[A]\njust words\n", "x.cfg")).toThrow(/expected "key = value"/);
    expect(() => parseNestedIni("[A]\n[[[B]]]\n", "x.cfg")).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ line: 2 })] }));
  });
});
