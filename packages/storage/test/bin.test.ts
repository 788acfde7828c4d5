import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isolatedEnv, type S3TestServer, startS3Server, tempDir } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The built `aves2-storage`: what the staging image runs as `component storage sync`. */
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server({ buckets: ["stage"] });
});
afterAll(async () => {
  await server?.stop();
});

const run = (args: string[], env: Record<string, string> = server.env()) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...isolatedEnv(), NO_COLOR: "1", ...env } });

describe("aves2-storage, the staging image's `component storage sync`", () => {
  it("uploads a folder and downloads it again, with the completion marker last, as the pods call it", () => {
    const data = tempDir("aves2-up-");
    mkdirSync(join(data, "sub"));
    writeFileSync(join(data, "a.txt"), "a\n");
    writeFileSync(join(data, "sub", "b.txt"), "b\n");
    const up = run(["storage", "sync", "--marker", data, "s3://stage/out/"]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^✓ uploaded 2 files \(4 B\) to s3:\/\/stage\/out\/ in [\d.]+s.*; wrote _SUCCESS\n$/);
    const back = tempDir("aves2-down-");
    const down = run(["storage", "sync", "s3://stage/out/", back, "--json"]);
    expect(down.status, down.stderr).toBe(0);
    const lines = down.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; files?: number });
    expect(lines.at(-1)).toMatchObject({ type: "result", direction: "in" });
    expect(readFileSync(join(back, "sub", "b.txt"), "utf8")).toBe("b\n");
    expect(readdirSync(back).sort()).toEqual(["_SUCCESS", "a.txt", "sub"]);
  });

  it("says what is wrong in one line and exits 2; --version is the package's", () => {
    const bad = run(["storage", "sync", "./nowhere", "./elsewhere"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: \.\/nowhere → \.\/elsewhere: one side must be a local folder and the other s3:\/\//);
    expect(run(["storage", "ls", "s3://stage/"]).status).toBe(2);
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { version: string };
    expect(run(["--version"]).stdout).toBe(`${pkg.version}\n`);
  });
});
