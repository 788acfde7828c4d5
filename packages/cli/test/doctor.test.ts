import { join } from "node:path";
import { startContainerCredentialsServer } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/**
 * An environment with none of this machine's AWS settings or files: a temp
 * HOME and shared files, the AWS variables blanked (the CLI inherits the test
 * runner's environment), no instance metadata to ask; then `vars`.
 */
function cloudEnv(vars: Record<string, string>): Record<string, string> {
  const home = tempDir("aves2-home-");
  const blank = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AVES2_CLIENT_CONFIG"];
  return {
    ...Object.fromEntries(blank.map((n) => [n, ""])),
    HOME: home,
    AWS_CONFIG_FILE: join(home, ".aws", "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...vars,
  };
}

describe("doctor", () => {
  it("reports node, interpreters and what each component runs with", async () => {
    const r = await runCli(["doctor", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.node).toBe(process.version);
    expect(report.interpreters.length).toBeGreaterThan(0);
    expect(report.components).toEqual([expect.objectContaining({ component: "echo", needs: [] })]);
    expect(report.config.runsDir.source).toBe("default");
    expect(report.ok).toBe(true);
  });

  it("fails (exit 1) and says so when the chosen interpreter does not exist", async () => {
    const r = await runCli(["doctor"], { env: { AVES2_PYTHON: "/no/such/python3" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("/no/such/python3 (AVES2_PYTHON)");
    expect(r.stdout).toMatch(/\/no\/such\/python3\s+-\s+not found/);
  });

  it("says where S3 settings and credentials come from, never the keys", async () => {
    const env = { AWS_ACCESS_KEY_ID: "AKIADOCTORTEST", AWS_SECRET_ACCESS_KEY: "doctor-secret-value", AWS_ENDPOINT_URL: "http://127.0.0.1:9000" };
    const r = await runCli(["doctor", "--json"], { env });
    const report = JSON.parse(r.stdout);
    expect(report.s3).toMatchObject({ endpoint: { value: "http://127.0.0.1:9000", source: "AWS_ENDPOINT_URL" }, pathStyle: { value: true }, credentials: { source: "AWS_ACCESS_KEY_ID in the environment" } });
    const text = await runCli(["doctor"], { env });
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr]) {
      expect(out).not.toContain("AKIADOCTORTEST");
      expect(out).not.toContain("doctor-secret-value");
    }
    expect(text.stdout).toContain("s3 credentials: AWS_ACCESS_KEY_ID in the environment");
  });

  it("says so when the credentials come from a container endpoint (ECS task role, EKS Pod Identity)", async () => {
    const ecs = await startContainerCredentialsServer({ authorization: "pod-identity-token" });
    try {
      const env = cloudEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN: "pod-identity-token" });
      const text = await runCli(["doctor"], { env });
      expect(text.stdout).toContain("s3 credentials: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)\n");
      const json = await runCli(["doctor", "--json"], { env });
      expect(JSON.parse(json.stdout).s3.credentials).toEqual({ source: "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)" });
      expect(ecs.issued.length).toBe(2);
      for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
        for (const c of ecs.issued) {
          expect(out).not.toContain(c.secretAccessKey);
          expect(out).not.toContain(c.sessionToken);
        }
        expect(out).not.toContain("pod-identity-token");
        expect(out).not.toMatch(/NodeVersion|Node\.js 2\d|WARN/);
      }
    } finally {
      await ecs.stop();
    }
  });

  it("says how to give credentials when there are none", async () => {
    const r = await runCli(["doctor"], { env: cloudEnv({}) });
    expect(r.stdout).toMatch(/s3 credentials: none found \(needed only for s3:\/\/ data; no S3 credentials found for https:\/\/s3\.us-east-1\.amazonaws\.com \(set AWS_ACCESS_KEY_ID .* and EC2 instance metadata\)\)\n/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
