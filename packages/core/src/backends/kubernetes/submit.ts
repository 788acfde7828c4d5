import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { UserError } from "../../errors.js";
import { ApiError, apiUserError, type KubeApi } from "./api-client.js";
import { LABEL } from "./names.js";
import { describeRef, refOf, type K8sObject, type ObjectRef, type OwnerReference, resourcePath } from "./objects.js";

/** `ssh-rsa AAAA...`: the OpenSSH public key format (RFC 4253) of an RSA key. */
function opensshPublicKey(n: Buffer, e: Buffer): string {
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  // mpint: a leading zero byte keeps a high bit from reading as negative
  const mpint = (b: Buffer) => str(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  return `ssh-rsa ${Buffer.concat([str(Buffer.from("ssh-rsa")), mpint(e), mpint(n)]).toString("base64")} aves2`;
}

/** A fresh key pair for mpirun's ssh to the workers of one run (PEM private key, OpenSSH public key). */
export function sshKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "pkcs1", format: "der" } });
  const key = createPublicKey({ key: publicKey, format: "der", type: "pkcs1" }).export({ format: "jwk" }) as { n: string; e: string };
  return { privateKey, publicKey: opensshPublicKey(Buffer.from(key.n, "base64url"), Buffer.from(key.e, "base64url")) };
}

/** What fills the Secrets that the plan renders without data. Never printed, never recorded. */
export interface SecretData {
  readonly [secretName: string]: Readonly<Record<string, string>>;
}

function withData(o: K8sObject, data: SecretData): K8sObject {
  const d = o.kind === "Secret" ? data[o.metadata.name] : undefined;
  if (!d) return o;
  return { ...o, data: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) };
}

function owned(o: K8sObject, owner: OwnerReference | undefined): K8sObject {
  if (!owner) return o;
  return { ...o, metadata: { ...o.metadata, ownerReferences: [owner] } };
}

/**
 * Creates one object. A 409 for an object of this run (a retried create whose
 * first try did arrive) counts as created; one that belongs to anything else
 * is an error.
 */
export async function createObject(api: KubeApi, namespace: string, o: K8sObject, runId: string): Promise<K8sObject> {
  const path = resourcePath(o.kind, namespace);
  try {
    return await api.request<K8sObject>("POST", path, { body: o });
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      const existing = await api.get<K8sObject>(resourcePath(o.kind, namespace, o.metadata.name));
      if (existing && existing.metadata.labels?.[LABEL.runId] === runId) return existing;
      throw UserError.of(`${describeRef(refOf(o))} already exists in namespace ${namespace} and is not part of this run`, { hint: "delete it, or run again (a new run id gives new names)" });
    }
    if (e instanceof ApiError && e.status === 404 && !o.apiVersion.startsWith("v1") && o.apiVersion !== "batch/v1") {
      throw UserError.of(`the cluster does not serve ${o.kind} (${o.apiVersion})`, { hint: "install its operator, or use --k8s-engine native" });
    }
    throw apiUserError(e, `create ${describeRef(refOf(o))}`);
  }
}

export async function deleteObject(api: KubeApi, namespace: string, r: ObjectRef, propagation: "Background" | "Foreground" = "Background"): Promise<boolean> {
  try {
    await api.request("DELETE", resourcePath(r.kind, namespace, r.name), { body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: propagation } });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

/**
 * Creates the objects in order: the primary first, then the rest, owned by it
 * (so that deleting it deletes them). If one fails, those already created are
 * deleted again and the error is thrown: a run is created whole or not at all.
 */
export async function createAll(api: KubeApi, namespace: string, objects: readonly K8sObject[], runId: string, data: SecretData): Promise<K8sObject[]> {
  const created: K8sObject[] = [];
  let owner: OwnerReference | undefined;
  try {
    for (const [i, o] of objects.entries()) {
      const made = await createObject(api, namespace, owned(withData(o, data), i === 0 ? undefined : owner), runId);
      created.push(made);
      if (i === 0 && made.metadata.uid) owner = { apiVersion: made.apiVersion, kind: made.kind, name: made.metadata.name, uid: made.metadata.uid, blockOwnerDeletion: false };
    }
    return created;
  } catch (e) {
    for (const c of created.reverse()) {
      await deleteObject(api, namespace, { apiVersion: c.apiVersion, kind: c.kind, name: c.metadata.name }).catch(() => undefined);
    }
    throw e;
  }
}

/** The parameter servers (and other daemons) of a run that has ended: they would never end by themselves. */
export async function deleteDaemons(api: KubeApi, namespace: string, daemons: readonly ObjectRef[]): Promise<void> {
  for (const d of daemons) await deleteObject(api, namespace, d).catch(() => undefined);
}

/**
 * Deletes a run's objects: the primary owns the rest (and its pods), so
 * deleting it deletes them, in the background; anything left (an owner
 * reference not honored, a half-made run) goes by label. Pods then stop
 * within their grace period, the uploader saving what they wrote.
 */
export async function deleteRunObjects(api: KubeApi, namespace: string, primary: ObjectRef, objects: readonly ObjectRef[], runId: string): Promise<void> {
  await deleteObject(api, namespace, primary, "Background");
  const selector = `${LABEL.runId}=${runId}`;
  for (const kind of new Set(objects.map((o) => o.kind))) {
    const l = await api.get<{ items?: K8sObject[] }>(resourcePath(kind, namespace), { query: { labelSelector: selector } });
    for (const o of l?.items ?? []) await deleteObject(api, namespace, { apiVersion: o.apiVersion ?? primary.apiVersion, kind, name: o.metadata.name }, "Background");
  }
}
