import { UserError } from "../errors.js";

/** Who may install a published package: `restricted` scoped packages only the scope's members. */
export type PublishAccess = "public" | "restricted";

export function parseAccess(value: string, where: string): PublishAccess {
  if (value === "public" || value === "restricted") return value;
  throw UserError.of(`access "${value}" is neither public nor restricted`, { path: where });
}

/**
 * The access a version is published with: `--access`, else package.json
 * `publishConfig.access`, else `access` in .npmrc. Without any, a scoped
 * package is sent as public — npm's registry would make it restricted
 * (private, paid), and catalog components are meant for everyone. An
 * unscoped package cannot be restricted.
 */
export function publishAccess(
  name: string,
  from: { flag?: string | undefined; publishConfig?: { value: string; source: string } | undefined; npmrc?: { value: string; source: string } | undefined },
): PublishAccess | undefined {
  const given = from.flag !== undefined ? { value: from.flag, source: "--access" } : (from.publishConfig ?? from.npmrc);
  const access = given ? parseAccess(given.value, given.source) : name.startsWith("@") ? "public" : undefined;
  if (access === "restricted" && !name.startsWith("@")) {
    throw UserError.of(`${name} cannot be published restricted: only scoped packages (@scope/name) can`, { ...(given ? { path: given.source } : {}) });
  }
  return access;
}
