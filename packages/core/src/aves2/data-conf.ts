import { UserError } from "../errors.js";
import { type DataUri, formatUri, parseUri } from "@aves2/storage/uri";
import type { DataConf } from "./job-file.js";

/** A problem with one data_conf, relative to it (`storage_conf.path`), for the caller to place. */
export interface ConfProblem {
  readonly at: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

/** An NFS share mounted on this machine: `server:/export` at `mountPoint`. */
export interface NfsMount {
  readonly source: string;
  readonly mountPoint: string;
}

/** The NFS mounts in /proc/mounts text (what the AVES2 client finds with `df`). */
export function parseNfsMounts(procMounts: string): NfsMount[] {
  return procMounts
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && /^nfs\d?$/.test(f[2]!) && f[0]!.includes(":"))
    .map((f) => ({ source: f[0]!, mountPoint: f[1]!.replace(/\\040/g, " ") }));
}

/**
 * job file data_conf → our URI. OSSFile is `s3://bucket/prefix`, HostPath an
 * absolute path on the node, K8SPVC a claim + sub path, NFSPath either
 * `server:/export/path` or (as the AVES2 client takes it) a path under an NFS
 * share mounted here, which is mapped to its server and export.
 */
export function dataConfToUri(conf: DataConf, mounts: () => readonly NfsMount[]): DataUri | ConfProblem {
  const path = conf.storage_conf.path;
  const at = ["storage_conf", "path"];
  switch (conf.storage_mode) {
    case "OSSFile": {
      if (!path.startsWith("s3://")) return { at, message: `"${path}" is not an s3:// URI`, hint: "OSSFile paths look like s3://bucket/prefix/" };
      try {
        return parseUri(path, "storage_conf.path", "/");
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        const p = e.problems[0]!;
        return { at, message: p.message, ...(p.hint ? { hint: p.hint } : {}) };
      }
    }
    case "HostPath":
      if (!path.startsWith("/")) return { at, message: `"${path}" is not an absolute path`, hint: "HostPath is a folder on the node, e.g. /data/train/" };
      return { scheme: "hostpath", path };
    case "K8SPVC": {
      const claim = conf.storage_conf.pvc;
      if (!claim) return { at: ["storage_conf", "pvc"], message: "K8SPVC needs the claim's name", hint: "add storage_conf.pvc: <claim name>" };
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(claim)) return { at: ["storage_conf", "pvc"], message: `"${claim}" is not a valid claim name` };
      return { scheme: "pvc", claim, subPath: path };
    }
    case "NFSPath": {
      const remote = /^([^/:\s]+):(\/.*)$/.exec(path);
      if (remote) return { scheme: "nfs", server: remote[1]!, path: remote[2]! };
      if (!path.startsWith("/")) return { at, message: `"${path}" is neither server:/export/path nor an absolute path` };
      const mount = [...mounts()]
        .filter((m) => path === m.mountPoint || path.startsWith(`${m.mountPoint.replace(/\/$/, "")}/`))
        .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
      if (!mount) return { at, message: `${path} is not on an NFS share mounted here`, hint: "write it as server:/export/path" };
      const [server, exportPath] = [mount.source.slice(0, mount.source.indexOf(":")), mount.source.slice(mount.source.indexOf(":") + 1)];
      const rest = path.slice(mount.mountPoint.replace(/\/$/, "").length).replace(/^\/+/, "");
      return { scheme: "nfs", server, path: rest ? `${exportPath.replace(/\/$/, "")}/${rest}` : exportPath };
    }
  }
}

/** Our URI → job file data_conf; local paths have no storage mode (the caller says what to do instead). */
export function uriToDataConf(uri: DataUri): DataConf | undefined {
  switch (uri.scheme) {
    case "s3":
      return { storage_mode: "OSSFile", storage_conf: { path: formatUri(uri) } };
    case "hostpath":
      return { storage_mode: "HostPath", storage_conf: { path: uri.path } };
    case "pvc":
      return { storage_mode: "K8SPVC", storage_conf: { pvc: uri.claim, path: uri.subPath } };
    case "nfs":
      return { storage_mode: "NFSPath", storage_conf: { path: `${uri.server}:${uri.path}` } };
    case "file":
      return undefined;
  }
}

/**
 * What the AVES2 client does before posting: a path whose last segment is an
 * archive is split into its folder (with a trailing `/`) and file name; the
 * server downloads and unpacks it. Anything else is a prefix, synced whole.
 */
export function splitArchivePath(path: string): { path: string; filename: string } {
  const slash = path.lastIndexOf("/");
  const last = path.slice(slash + 1);
  if (slash >= 0 && /\.(zip|tar|gz|tgz)$/i.test(last)) return { path: path.slice(0, slash + 1), filename: last };
  return { path, filename: "" };
}
