import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE, runCli, tempDir } from "./cli.js";

describe("list / info / validate", () => {
  it("lists components as a table and as JSON", async () => {
    const table = await runCli(["list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ {2}NAME\s+VERSION\s+FRAMEWORK\s+REPLACES\s+TITLE\ntest\/fixture \(1\)\n {2}echo\s+0\.0\.0\s+generic\s+-\s+Test component that echoes its arguments\n$/);
    const json = await runCli(["list", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: "echo", valid: true, framework: "generic" })]);
  });

  it("shows params with type, default and range", async () => {
    const r = await runCli(["info", "echo"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/epochs\s+integer\s+2\s+1 \.\. 100/);
    expect(r.stdout).toMatch(/mode\s+enum\s+fast\s+fast \| slow/);
    expect(r.stdout).toContain("data_dir");
    const json = JSON.parse((await runCli(["info", "echo", "--json"])).stdout);
    expect(json.params.map((p: { name: string }) => p.name)).toEqual(["message", "epochs", "sleep", "exit_code", "mode", "verbose"]);
  });

  it("suggests a name for an unknown component, exit 2, no stack", async () => {
    const r = await runCli(["info", "ecko"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: unknown component "ecko" (did you mean "echo"?)\n');
  });

  it("validates all components, and reports every problem of a broken one with its line", async () => {
    const root = tempDir();
    cpSync(FIXTURE, root, { recursive: true });
    writeFileSync(
      join(root, "components/echo/component.yaml"),
      [
        "name: echo",
        "title: broken",
        "description: x",
        "category: test",
        "framework: cobol",
        "command: [node, main.mjs]",
        "source: src",
        "params:",
        "  - name: epochs",
        "    type: integer",
        "    default: 500",
        "    max: 10",
        "  - name: lr",
        "    type: float",
        "colour: blue",
      ].join("\n"),
    );
    const r = await runCli(["validate"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("✗ echo");
    expect(r.stdout).toMatch(/component\.yaml:5: framework: must be one of/);
    expect(r.stdout).toMatch(/component\.yaml:14: params\[1\]\.type: must be one of/);
    expect(r.stdout).toMatch(/component\.yaml:15: colour: unknown key "colour"/);

    const list = await runCli(["list"], { cwd: root });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("invalid");
  });

  it("reports semantic problems a schema cannot see (default above max)", async () => {
    const root = tempDir();
    cpSync(FIXTURE, root, { recursive: true });
    const file = join(root, "components/echo/component.yaml");
    writeFileSync(file, (await import("node:fs")).readFileSync(join(FIXTURE, "components/echo/component.yaml"), "utf8").replace("    default: 2\n", "    default: 200\n"));
    const r = await runCli(["validate", "echo"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/component\.yaml:\d+: params\[1\]\.default: 200 is above max 100/);
  });

  it("reports broken YAML with its line", async () => {
    const root = tempDir();
    cpSync(FIXTURE, root, { recursive: true });
    writeFileSync(join(root, "components/echo/component.yaml"), "name: echo\ntitle: [unclosed\ncommand: x\n");
    const r = await runCli(["validate", "echo"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/component\.yaml:\d+: invalid YAML/);
    expect(r.stdout).not.toMatch(/at .*\.js:\d+/);
  });

  it("--help on every command has examples; usage errors exit 2", async () => {
    for (const cmd of ["list", "info", "validate", "render", "run", "runs", "status", "logs", "cancel", "doctor"]) {
      const r = await runCli([cmd, "--help"]);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain("Examples:");
    }
    const bad = await runCli(["list", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--nope'");
    const missing = await runCli(["info"]);
    expect(missing.code).toBe(2);
  });
});
