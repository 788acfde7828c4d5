import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.js";

/** `run:<run>/<output>`: another run's output where an input's URI goes (the engine resolves it; see its run-ref.ts). */
export const RUN_REF_PREFIX = "run:";

export function isRunRef(raw: string): boolean {
  return raw.trim().startsWith(RUN_REF_PREFIX);
}

/** Where data lives. Local paths are absolute once parsed. */
export type DataUri =
  | { readonly scheme: "file"; readonly path: string }
  | { readonly scheme: "s3"; readonly bucket: string; readonly key: string }
  | { readonly scheme: "pvc"; readonly claim: string; readonly subPath: string }
  | { readonly scheme: "hostpath"; readonly path: string }
  | { readonly scheme: "nfs"; readonly server: string; readonly path: string };

export const KNOWN_SCHEMES = ["file", "s3", "pvc", "hostpath", "nfs"] as const;

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

export function isLocalPath(s: string): boolean {
  return !SCHEME_RE.test(s);
}

/** A path ending in one of these names an archive that is unpacked when staged. */
export function isArchive(s: string): boolean {
  return /\.(zip|tar|tar\.gz|tgz)$/i.test(s.replace(/\/+$/, ""));
}

/**
 * Parses a user-given location. `what` names it in errors (e.g. `--input train_data_dir`);
 * relative local paths are resolved against `cwd`.
 */
export function parseUri(raw: string, what: string, cwd: string): DataUri {
  const s = raw.trim();
  if (!s) throw UserError.of("is empty", { path: what, hint: "give a path or a URI such as s3://bucket/prefix/" });
  // `run:x/y` has no `//` and would otherwise pass for a relative path
  if (isRunRef(s)) throw UserError.of(`run reference "${s}" is not resolved here`, { path: what, hint: "only --input takes one: --input <name>=run:<run-id>/<output>" });
  const m = SCHEME_RE.exec(s);
  if (!m) return { scheme: "file", path: isAbsolute(s) ? s : resolve(cwd, s) };
  const scheme = m[1]!.toLowerCase();
  const rest = s.slice(m[0].length);
  const bad = (why: string, hint: string): never => {
    throw UserError.of(`malformed URI "${s}": ${why}`, { path: what, hint });
  };
  switch (scheme) {
    case "file":
      try {
        return { scheme: "file", path: fileURLToPath(s) };
      } catch {
        return bad("not a file URL", "write file:///absolute/path");
      }
    case "s3": {
      const slash = rest.indexOf("/");
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) bad(`"${bucket}" is not a valid bucket name`, "write s3://bucket/prefix/");
      return { scheme: "s3", bucket, key: slash < 0 ? "" : rest.slice(slash + 1) };
    }
    case "pvc": {
      const [claim, ...sub] = rest.split("/");
      if (!claim) bad("no claim name", "write pvc://claim-name/sub/path");
      return { scheme: "pvc", claim: claim!, subPath: sub.join("/") };
    }
    case "hostpath":
      if (!rest.startsWith("/")) bad("the path must be absolute", "write hostpath:///absolute/path");
      return { scheme: "hostpath", path: rest };
    case "nfs": {
      const slash = rest.indexOf("/");
      if (slash <= 0) bad("no server or export path", "write nfs://server/export/path");
      return { scheme: "nfs", server: rest.slice(0, slash), path: rest.slice(slash) };
    }
    default:
      return bad(`unknown scheme "${scheme}://"`, `use a local path or one of ${KNOWN_SCHEMES.map((k) => `${k}://`).join(", ")}`);
  }
}

export function formatUri(u: DataUri): string {
  switch (u.scheme) {
    case "file":
      return u.path;
    case "s3":
      return `s3://${u.bucket}/${u.key}`;
    case "pvc":
      return `pvc://${u.claim}/${u.subPath}`;
    case "hostpath":
      return `hostpath://${u.path}`;
    case "nfs":
      return `nfs://${u.server}${u.path}`;
  }
}
