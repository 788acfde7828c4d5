import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { findPython, probePython } from "../src/python/find.js";

describe("config precedence: flags > env > project > user", () => {
  it("takes each setting from the highest source that has it", () => {
    const root = mkdtempSync(join(tmpdir(), "cfg-"));
    const home = mkdtempSync(join(tmpdir(), "home-"));
    mkdirSync(join(home, "aves2"), { recursive: true });
    writeFileSync(join(home, "aves2", "config.yaml"), "python: /user/python\nrunsDir: /user/runs\nbackend: local\n");
    writeFileSync(join(root, "aves2.config.yaml"), "runsDir: project-runs\n");
    const env = { XDG_CONFIG_HOME: home };
    const c = loadConfig(root, {}, env);
    expect(c.python).toEqual({ value: "/user/python", source: join(home, "aves2", "config.yaml") });
    expect(c.runsDir).toEqual({ value: join(root, "project-runs"), source: join(root, "aves2.config.yaml") });
    expect(loadConfig(root, {}, { ...env, AVES2_PYTHON: "/env/python" }).python?.source).toBe("AVES2_PYTHON");
    expect(loadConfig(root, { python: "/flag/python" }, { ...env, AVES2_PYTHON: "/env/python" }).python).toEqual({ value: "/flag/python", source: "--python" });
  });

  it("rejects unknown settings with the file named", () => {
    const root = mkdtempSync(join(tmpdir(), "cfg-"));
    writeFileSync(join(root, "aves2.config.yaml"), "pyhton: /x\n");
    expect(() => loadConfig(root, {}, { XDG_CONFIG_HOME: root })).toThrow(/unknown setting "pyhton"/);
  });
});

describe("python discovery", () => {
  it("names the interpreter and the missing modules, with how to install them", async () => {
    await expect(
      findPython({ modules: ["json", "surely_not_a_module_xyz"], packages: { surely_not_a_module_xyz: "python3-xyz" } }, { value: "/usr/bin/python3", source: "AVES2_PYTHON" }),
    ).rejects.toThrow(/AVES2_PYTHON chose \/usr\/bin\/python3.*missing surely_not_a_module_xyz.*apt-get install python3-xyz/);
  });

  it("says when the interpreter does not exist", async () => {
    const p = await probePython("/no/such/python", ["json"]);
    expect(p.error).toBe("not found");
  });

  it("finds an interpreter with stdlib modules", async () => {
    const choice = await findPython({ modules: ["json"], packages: {} });
    expect(choice.path).toMatch(/python/);
  });
});
