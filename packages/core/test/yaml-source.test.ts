import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { parseYaml } from "../src/manifest/yaml-source.js";

describe("parseYaml", () => {
  const text = ["name: x", "params:", "  - name: a", "    type: integer", "  - name: b", "    min: 3", "nested:", "  deep:", "    key: [1, 2]"].join("\n");

  it("finds the line of keys and sequence items", () => {
    const y = parseYaml(text, "f.yaml");
    expect(y.lineOf(["name"])).toBe(1);
    expect(y.lineOf(["params", 0])).toBe(3);
    expect(y.lineOf(["params", 1, "min"])).toBe(6);
    expect(y.lineOf(["nested", "deep", "key"])).toBe(9);
  });

  it("falls back to the nearest located ancestor", () => {
    const y = parseYaml(text, "f.yaml");
    expect(y.lineOf(["params", 1, "missing"])).toBe(5);
  });

  it("reports syntax errors with their line", () => {
    try {
      parseYaml("a: 1\nb: [unclosed\nc: 2\n", "bad.yaml");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      const p = (e as UserError).problems[0]!;
      expect(p.path).toBe("bad.yaml");
      expect(p.line).toBeGreaterThanOrEqual(2);
      expect(p.message).toMatch(/^invalid YAML/);
    }
  });

  it("treats a comments-only file as empty", () => {
    expect(parseYaml("# nothing here\n", "c.yaml").data).toBeNull();
  });
});
