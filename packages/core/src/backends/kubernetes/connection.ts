import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type https from "node:https";
import { closest } from "../../catalog/suggest.js";
import { UserError } from "../../errors.js";
import type { RetryPolicy } from "@aves2/storage";
import { KubeApi } from "./api-client.js";
import { checkNamespace } from "./options.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A kubeconfig, its chosen context, and the namespace runs go to by default. */
export interface KubeTarget {
  /** Where the config came from: files, or `in-cluster`. */
  readonly source: string;
  readonly context?: string;
  readonly server: string;
  readonly namespace: string;
  readonly namespaceFrom: string;
}

export interface Connection extends KubeTarget {
  readonly api: KubeApi;
}

type KubeConfig = import("@kubernetes/client-node").KubeConfig;

function kubeconfigFiles(env: NodeJS.ProcessEnv): { files: string[]; from: string } {
  if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(delimiter).filter(Boolean);
    const files = listed.filter((f) => existsSync(f));
    if (files.length === 0) throw UserError.of(`KUBECONFIG names ${listed.join(", ")}, and none of them exists`, { path: "KUBECONFIG", hint: "point it at a kubeconfig file, or unset it to use ~/.kube/config" });
    return { files, from: "KUBECONFIG" };
  }
  const home = join(env.HOME || homedir(), ".kube", "config");
  return { files: existsSync(home) ? [home] : [], from: home };
}

function inCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) && existsSync(join(SERVICE_ACCOUNT_DIR, "token"));
}

/**
 * kubeconfig from KUBECONFIG or ~/.kube/config, else the pod's service
 * account when running inside a cluster. `required: false` (render) answers
 * undefined where there is none instead of failing.
 */
export async function loadKubeConfig(opts: { context?: string; env?: NodeJS.ProcessEnv; required: boolean }): Promise<{ kc: KubeConfig; source: string; inCluster: boolean } | undefined> {
  const env = opts.env ?? process.env;
  const { files, from } = kubeconfigFiles(env);
  if (files.length === 0 && !inCluster(env)) {
    if (!opts.required && !opts.context) return undefined;
    throw UserError.of("no kubeconfig found", {
      path: opts.context ? "--context" : "kubeconfig",
      hint: `set KUBECONFIG or create ${from} (kind and k3d write one when they create a cluster); inside a pod the service account is used`,
    });
  }
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (files.length === 0) {
    kc.loadFromCluster();
    return { kc, source: "in-cluster service account", inCluster: true };
  }
  for (const [i, file] of files.entries()) {
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (e) {
      throw UserError.of(`cannot read this kubeconfig: ${(e as Error).message.split("\n")[0]}`, { path: file });
    }
  }
  return { kc, source: files.join(delimiter), inCluster: false };
}

/** Picks the context (flag or current) and the namespace (flag, context, service account, `default`). */
export function selectTarget(kc: KubeConfig, source: string, isInCluster: boolean, opts: { context?: string; namespace?: string }): KubeTarget {
  const names = kc.getContexts().map((c) => c.name);
  let context: string | undefined;
  if (opts.context) {
    if (!names.includes(opts.context)) {
      const near = closest(opts.context, names);
      throw UserError.of(`unknown context "${opts.context}"`, {
        path: "--context",
        hint: names.length ? `${near.length ? `did you mean "${near[0]}"? ` : ""}contexts in ${source}: ${names.join(", ")}` : `${source} has no contexts`,
      });
    }
    kc.setCurrentContext(opts.context);
    context = opts.context;
  } else if (!isInCluster) {
    context = kc.getCurrentContext() || undefined;
    if (!context || !names.includes(context)) {
      throw UserError.of(context ? `the current context "${context}" is not defined` : "the kubeconfig has no current context", {
        path: source,
        hint: names.length ? `pass --context (one of ${names.join(", ")})` : "create a cluster (kind create cluster) or add a context",
      });
    }
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw UserError.of(`context "${context ?? "(in-cluster)"}" has no cluster server`, { path: source });
  let namespace: string;
  let namespaceFrom: string;
  const ctxNs = context ? kc.getContextObject(context)?.namespace : undefined;
  if (opts.namespace) [namespace, namespaceFrom] = [opts.namespace, "--namespace"];
  else if (ctxNs) [namespace, namespaceFrom] = [ctxNs, `context ${context}`];
  else if (isInCluster && existsSync(join(SERVICE_ACCOUNT_DIR, "namespace"))) [namespace, namespaceFrom] = [readFileSync(join(SERVICE_ACCOUNT_DIR, "namespace"), "utf8").trim(), "service account"];
  else [namespace, namespaceFrom] = ["default", "default"];
  checkNamespace(namespace, namespaceFrom);
  return { source, ...(context ? { context } : {}), server: cluster.server, namespace, namespaceFrom };
}

/** A connection to the cluster of a context. Contacts nothing yet. */
export async function connect(opts: { context?: string; namespace?: string; env?: NodeJS.ProcessEnv; retry?: RetryPolicy }): Promise<Connection> {
  const loaded = (await loadKubeConfig({ ...opts, required: true }))!;
  const target = selectTarget(loaded.kc, loaded.source, loaded.inCluster, opts);
  const kc = loaded.kc;
  const apply = async (o: https.RequestOptions) => {
    try {
      await kc.applyToHTTPSOptions(o);
    } catch (e) {
      throw UserError.of(`cannot use the kubeconfig's credentials: ${(e as Error).message.split("\n")[0]}`, { path: target.context ? `context ${target.context}` : target.source });
    }
  };
  return { ...target, api: new KubeApi(target.server, apply, opts.retry) };
}
