import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { claimRunDir } from "../src/records/run-store.js";
import { makeRunId, RUN_ID_RE } from "../src/run/run-id.js";

describe("a run's folder is claimed, never shared", () => {
  it("the first claim makes it (and the runs folder); a second claim of the same id is refused, naming the folder", () => {
    const runs = join(tempDir("claims-"), "deep", "runs");
    const dir = join(runs, "echo-20260301-100000-aaaa");
    claimRunDir(dir);
    expect(existsSync(dir)).toBe(true);
    let error: unknown;
    try {
      claimRunDir(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`${dir}: a run with this id already exists (run it again: a new run gets a new id)`);
    expect(readdirSync(runs)).toEqual(["echo-20260301-100000-aaaa"]);
  });

  it("ids made in the same second keep their form; a random source that is given is used as it is", () => {
    const now = new Date("2026-03-01T10:00:00Z");
    const ids = [makeRunId("echo", now), makeRunId("echo", now)];
    for (const id of ids) expect(id).toMatch(/^echo-20260301-100000-[a-z0-9]{4}$/);
    for (const id of ids) expect(id).toMatch(RUN_ID_RE);
    // a random source that is given is used as it is (tests pin ids with it)
    expect(makeRunId("echo", now, () => 0)).toBe("echo-20260301-100000-aaaa");
  });
});
