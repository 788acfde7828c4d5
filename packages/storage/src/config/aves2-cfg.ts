import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";

/**
 * The AVES2 client's `~/.aves2/aves2.cfg`: INI with nested sections
 * (`[Section]`, `[[Sub]]`, configobj style) and values that may be quoted.
 * Secrets read from it (api_token, S3SecretAccessKey) are returned to the
 * caller only; nothing here prints them.
 */
export interface Aves2ClientConfig {
  readonly file: string;
  readonly server?: { readonly host?: string; readonly apiToken?: string };
  readonly user?: { readonly username?: string; readonly namespace?: string };
  readonly s3?: { readonly endpoint?: string; readonly accessKeyId?: string; readonly secretAccessKey?: string };
}

export function aves2CfgPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.AVES2_CLIENT_CONFIG || join(env.HOME || homedir(), ".aves2", "aves2.cfg");
}

/** Section path (e.g. `StorageConf.S3`) → key → value. */
export function parseNestedIni(text: string, file: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>([["", new Map()]]);
  const stack: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^(\[+)\s*([^\]]+?)\s*(\]+)$/.exec(line);
    if (header) {
      const depth = header[1]!.length;
      if (depth !== header[3]!.length || depth > stack.length + 1) {
        throw UserError.of(`malformed section header "${line}"`, { path: file, line: i + 1 });
      }
      stack.length = depth - 1;
      stack.push(header[2]!);
      const key = stack.join(".");
      if (!sections.has(key)) sections.set(key, new Map());
      return;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw UserError.of(`expected "key = value", got "${line.slice(0, 40)}"`, { path: file, line: i + 1 });
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === "'" || q === '"') && value.endsWith(q!) && value.length >= 2) value = value.slice(1, -1);
    sections.get(stack.join("."))!.set(key, value);
  });
  return sections;
}

export function readAves2ClientConfig(file: string = aves2CfgPath()): Aves2ClientConfig | undefined {
  if (!existsSync(file)) return undefined;
  const s = parseNestedIni(readFileSync(file, "utf8"), file);
  const get = (section: string, key: string) => s.get(section)?.get(key) || undefined;
  return {
    file,
    server: { host: get("Aves2Server", "host"), apiToken: get("Aves2Server", "api_token") },
    user: { username: get("UserInfo", "username"), namespace: get("UserInfo", "namespace") },
    s3: {
      endpoint: get("StorageConf.S3", "S3Endpoint"),
      accessKeyId: get("StorageConf.S3", "S3AccessKeyId"),
      secretAccessKey: get("StorageConf.S3", "S3SecretAccessKey"),
    },
  };
}
