import { registerBackend } from "@aves2/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { program } from "../src/program.js";
import { FIXTURE } from "./cli.js";
import { fakeBackend } from "./fixtures/backends/fake/index.js";

// the one registry line: everything below comes from the declaration, nothing in the CLI knows "fake"
registerBackend(fakeBackend);

/** Runs the CLI in this process (so that it sees the registered backend), collecting what it prints. */
async function cli(args: string[]): Promise<{ stdout: string; error?: Error; exitCode: number }> {
  let stdout = "";
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.exitCode = 0;
  let error: Error | undefined;
  try {
    await program().parseAsync(args, { from: "user" });
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode !== 0) error = e as Error;
  } finally {
    process.stdout.write = write;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, exitCode, ...(error ? { error } : {}) };
}

describe("a fourth backend: one folder and one registry line", () => {
  const cwd = process.cwd();
  beforeEach(() => process.chdir(FIXTURE));
  afterEach(() => process.chdir(cwd));

  it("is listed by `component backends`, with its options", async () => {
    const r = await cli(["backends", "--json"]);
    const fake = (JSON.parse(r.stdout) as { name: string; options: { flag: string; help: string }[] }[]).find((b) => b.name === "fake");
    expect(fake?.options).toEqual([expect.objectContaining({ flag: "--fake-level <n>", help: "Fake: how hard to pretend (default 1)" })]);
    expect((await cli(["backends"])).stdout).toMatch(/fake\n {2}nowhere: every run succeeds at once \(tests only\)\n.*--fake-level <n> +Fake: how hard to pretend/s);
  });

  it("gets its flag, with its help, on run and render, and a place in --backend's help", async () => {
    for (const verb of ["run", "render"]) {
      const r = await cli([verb, "--help"]);
      expect(r.stdout).toMatch(/--fake-level <n> +Fake: how hard to pretend \(default 1\)/);
      expect(r.stdout.replace(/\s+/g, " ")).toContain("where to run: local (default), aves2, kubernetes (k8s) or fake");
    }
  });

  it("renders its plan as it describes it, as text and as JSON", async () => {
    const text = await cli(["render", "echo", "--backend", "fake", "--fake-level", "3"]);
    expect(text.error).toBeUndefined();
    expect(text.stdout).toMatch(/^fake plan echo-\d{8}-\d{6}-\w{4}: level 3, nowhere at all\n$/);
    const json = JSON.parse((await cli(["render", "echo", "-b", "fake", "--json"])).stdout) as { backend: string; level: number; spec: { component: { name: string } } };
    expect(json).toMatchObject({ backend: "fake", level: 1, spec: { component: { name: "echo" } } });
  });

  it("runs, and `run` ends with the common summary of the finished run", async () => {
    const r = await cli(["run", "echo", "-b", "fake", "--fake-level", "4"]);
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/run echo-\d{8}-\d{6}-\w{4}: echo 0\.0\.0 on fake/);
    expect(r.stdout).toMatch(/✓ succeeded in .*\n {2}metrics: score=4\n {2}pretended at level 4\n$/);
  });

  it("checks its options with its own words; an unknown backend's hint names it", async () => {
    const bad = await cli(["render", "echo", "-b", "fake", "--fake-level", "0"]);
    expect(bad.error?.message).toBe('--fake-level: "0" is not a level (a whole number from 1)');
    const unknown = await cli(["render", "echo", "-b", "fakes"]);
    expect(unknown.error?.message).toBe('--backend: unknown backend "fakes" (available: local, aves2, kubernetes, fake (k8s = kubernetes); did you mean "fake"?)');
  });
});
