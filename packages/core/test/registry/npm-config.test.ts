import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { publishAccess } from "../../src/registry/access.js";
import { credentialFor, nerfDart, scrub } from "../../src/registry/auth.js";
import { configFrom, type RegistryConfig } from "../../src/registry/npm-config.js";
import { Npmrc } from "../../src/registry/npmrc.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A config from one user .npmrc (and optionally a project one, which wins). */
function config(user: string[], opts: { project?: string[]; scope?: string; flag?: string; env?: NodeJS.ProcessEnv } = {}): RegistryConfig {
  const layers = [...(opts.project ? [{ file: "/project/.npmrc", text: opts.project.join("\n"), env: opts.env }] : []), { file: "/home/u/.npmrc", text: user.join("\n"), env: opts.env }];
  return configFrom(Npmrc.of(...layers), { ...(opts.scope ? { scope: opts.scope } : {}), ...(opts.flag ? { flag: opts.flag } : {}), ...(opts.env ? { env: opts.env } : {}) });
}

/** The Authorization header a request to `url` would carry. */
function header(c: RegistryConfig, url: string): string | undefined {
  return credentialFor(url, c.url, c.credentials)?.header;
}

describe("nerf darts", () => {
  it("are the URL without protocol, user, query, hash or last segment", () => {
    expect(nerfDart("https://registry.example.com/")).toBe("//registry.example.com/");
    expect(nerfDart("http://127.0.0.1:4873/npm/")).toBe("//127.0.0.1:4873/npm/");
    expect(nerfDart("https://u:p@r.example.com/a/b.tgz?x=1#h")).toBe("//r.example.com/a/");
  });
});

describe("which registry", () => {
  it("a scope's registry is used for that scope, over npm_config_registry and the plain registry", () => {
    const rc = ["registry=https://plain.example.com/", "@aves2-components:registry=https://scoped.example.com/npm"];
    expect(config(rc, { scope: "@aves2-components" })).toMatchObject({ url: "https://scoped.example.com/npm/", source: "@aves2-components:registry in /home/u/.npmrc" });
    expect(config(rc, { scope: "@aves2-components", env: { npm_config_registry: "https://from-env.example.com/" } }).url).toBe("https://scoped.example.com/npm/");
    expect(config(rc, { scope: "@other" }).url).toBe("https://plain.example.com/");
    expect(config(rc, { scope: "@other", env: { npm_config_registry: "https://from-env.example.com/" } })).toMatchObject({ url: "https://from-env.example.com/", source: "npm_config_registry" });
    // the command's own --registry wins over everything
    expect(config(rc, { scope: "@aves2-components", flag: "http://127.0.0.1:4873" })).toMatchObject({ url: "http://127.0.0.1:4873/", source: "--registry" });
    expect(config([]).url).toBe("https://registry.npmjs.org/");
  });

  it("the project's .npmrc wins over the user's", () => {
    expect(config(["registry=https://user.example.com/"], { project: ["registry=https://project.example.com/"] }).url).toBe("https://project.example.com/");
  });

  it("refuses a registry that is not an http(s) URL, or that holds a password, without printing it", () => {
    expect(() => config(["registry=ftp://x/"])).toThrow(/the registry "ftp:\/\/x\/" is not an http\(s\) URL/);
    const e = (() => {
      try {
        config(["registry=https://me:hunter2-secret@r.example.com/"]);
      } catch (err) {
        return err as UserError;
      }
    })();
    expect(e).toBeInstanceOf(UserError);
    expect(e!.message).toMatch(/holds a user name or password/);
    expect(e!.message).not.toContain("hunter2-secret");
  });
});

describe("credentials", () => {
  it("are keyed by registry: a scoped registry and the plain one each get their own", () => {
    const c = config(
      [
        "registry=https://plain.example.com/",
        "@aves2-components:registry=https://scoped.example.com/npm/",
        "//plain.example.com/:_authToken=plain-token",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: .npmrc's own ${ENV} expansion
        "//scoped.example.com/npm/:_authToken=${SCOPED_TOKEN}",
      ],
      { scope: "@aves2-components", env: { SCOPED_TOKEN: "scoped-token" } },
    );
    expect(header(c, "https://scoped.example.com/npm/@aves2-components%2fecho")).toBe("Bearer scoped-token");
    expect(header(c, "https://scoped.example.com/npm/@aves2-components/echo/-/echo-1.0.0.tgz")).toBe("Bearer scoped-token");
    expect(header(c, "https://plain.example.com/x/-/x-1.0.0.tgz")).toBe("Bearer plain-token");
  });

  it("a tarball on another host, or port, or over http from an https registry, gets none", () => {
    const c = config(["registry=https://r.example.com/", "//r.example.com/:_authToken=secret-token"]);
    expect(header(c, "https://r.example.com/pkg")).toBe("Bearer secret-token");
    expect(header(c, "https://cdn.example.com/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
    expect(header(c, "https://r.example.com:8443/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
    expect(header(c, "https://r.example.com.evil.test/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
    expect(header(c, "http://r.example.com/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
  });

  it("a registry under a path also sends its credential to tarballs elsewhere on its own origin (as npm does)", () => {
    const c = config(["registry=https://r.example.com/api/npm/", "//r.example.com/api/npm/:_authToken=t0ken"]);
    expect(header(c, "https://r.example.com/files/pkg-1.0.0.tgz")).toBe("Bearer t0ken");
  });

  it("a tarball host with its own credential gets that one, never the registry's", () => {
    const c = config(["registry=https://r.example.com/", "//r.example.com/:_authToken=registry-token", "//cdn.example.com/:_authToken=cdn-token"]);
    expect(header(c, "https://cdn.example.com/pkg-1.0.0.tgz")).toBe("Bearer cdn-token");
  });

  it("_auth (base64 user:pass) and username + _password (base64) are Basic auth; a token is preferred", () => {
    const auth = config(["registry=https://r.example.com/", `//r.example.com/:_auth=${b64("ann:pa:ss")}`]);
    expect(header(auth, "https://r.example.com/x")).toBe(`Basic ${b64("ann:pa:ss")}`);
    const userPass = config(["registry=https://r.example.com/", "//r.example.com/:username=bob", `//r.example.com/:_password=${b64("s3cret")}`]);
    expect(header(userPass, "https://r.example.com/x")).toBe(`Basic ${b64("bob:s3cret")}`);
    const both = config(["registry=https://r.example.com/", `//r.example.com/:_auth=${b64("ann:pass")}`, "//r.example.com/:_authToken=tok"]);
    expect(header(both, "https://r.example.com/x")).toBe("Bearer tok");
  });

  it("keys without a trailing slash, and hosts in capitals, match too", () => {
    const c = config(["registry=http://Registry.Example.com:4873/npm/", "//Registry.Example.com:4873/npm:_authToken=tok"]);
    expect(header(c, "http://registry.example.com:4873/npm/x")).toBe("Bearer tok");
  });

  it("unscoped _authToken / _auth belong to the plain registry only, not to a scope's registry elsewhere", () => {
    const c = config(["registry=https://plain.example.com/", "@aves2-components:registry=https://scoped.example.com/", "_authToken=legacy-token"], { scope: "@aves2-components" });
    expect(c.url).toBe("https://scoped.example.com/");
    expect(header(c, "https://scoped.example.com/x")).toBeUndefined();
    expect(header(c, "https://plain.example.com/x")).toBe("Bearer legacy-token");
    const basic = config([`_auth=${b64("ann:pass")}`], { flag: "https://r.example.com/" });
    expect(header(basic, "https://r.example.com/x")).toBe(`Basic ${b64("ann:pass")}`);
    // a keyed credential for the plain registry wins over the unscoped one
    const keyed = config(["registry=https://r.example.com/", "_authToken=legacy", "//r.example.com/:_authToken=keyed"]);
    expect(header(keyed, "https://r.example.com/x")).toBe("Bearer keyed");
  });

  it("an _auth that is not base64 of user:password is refused without printing it", () => {
    let e: unknown;
    try {
      config(["registry=https://r.example.com/", `//r.example.com/:_auth=${b64("no-colon-secret")}`]);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/^\/home\/u\/\.npmrc: \/\/r\.example\.com\/:_auth for \/\/r\.example\.com\/ is not base64 of user:password/);
    expect((e as Error).message).not.toContain(b64("no-colon-secret"));
    expect((e as Error).message).not.toContain("no-colon-secret");
  });

  it("always-auth: plain or keyed to the registry", () => {
    expect(config(["registry=https://r.example.com/"]).alwaysAuth).toBe(false);
    expect(config(["registry=https://r.example.com/", "always-auth=true"]).alwaysAuth).toBe(true);
    expect(config(["registry=https://r.example.com/", "//r.example.com/:always-auth=true"]).alwaysAuth).toBe(true);
    expect(config(["registry=https://r.example.com/", "always-auth=true", "//r.example.com/:always-auth=false"]).alwaysAuth).toBe(false);
  });

  it("scrubs every form of a secret, and URL passwords, from text", () => {
    const c = config(["registry=https://r.example.com/", "//r.example.com/:username=bob", `//r.example.com/:_password=${b64("s3cret-pw")}`, "//cdn.example.com/:_authToken=cdn-token-123"]);
    const text = `s3cret-pw ${b64("s3cret-pw")} ${b64("bob:s3cret-pw")} cdn-token-123 https://bob:s3cret@r.example.com/x`;
    expect(scrub(text, c.credentials.values())).toBe("*** *** *** *** https://***@r.example.com/x");
  });
});

describe("publish access", () => {
  it("scoped names are public unless --access, publishConfig.access or .npmrc access say otherwise, in that order", () => {
    expect(publishAccess("@aves2-components/echo", {})).toBe("public");
    expect(publishAccess("echo", {})).toBeUndefined();
    const npmrc = { value: "restricted", source: "/home/u/.npmrc" };
    expect(publishAccess("@aves2-components/echo", { npmrc })).toBe("restricted");
    expect(publishAccess("@aves2-components/echo", { npmrc, publishConfig: { value: "public", source: "package.json" } })).toBe("public");
    expect(publishAccess("@aves2-components/echo", { npmrc, publishConfig: { value: "public", source: "package.json" }, flag: "restricted" })).toBe("restricted");
    expect(config(["access=restricted"]).access).toEqual({ value: "restricted", source: "/home/u/.npmrc" });
  });

  it("refuses a wrong level, and restricting an unscoped package", () => {
    expect(() => publishAccess("@s/x", { flag: "private" })).toThrow(/--access: access "private" is neither public nor restricted/);
    expect(() => config(["access=secret"])).toThrow(/\/home\/u\/\.npmrc: access "secret" is neither public nor restricted/);
    expect(() => publishAccess("echo", { flag: "restricted" })).toThrow(/echo cannot be published restricted: only scoped packages/);
  });
});
