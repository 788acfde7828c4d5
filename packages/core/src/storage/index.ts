import { UserError } from "../errors.js";
import { hostpathStore } from "./hostpath/hostpath-store.js";
import { localStore } from "./local/local-store.js";
import type { Store } from "./store.js";
import type { DataUri } from "./uri.js";

const stores: Partial<Record<DataUri["scheme"], Store>> = { file: localStore, hostpath: hostpathStore };

/** The store for a URI's scheme. `what` names the binding in the error. */
export function storeFor(uri: DataUri, what: string): Store {
  const store = stores[uri.scheme];
  if (!store) {
    throw UserError.of(`${uri.scheme}:// is not supported for local runs yet`, {
      path: what,
      hint: uri.scheme === "s3" ? "S3 staging is tracked in its own issue; use a local path for now" : `${uri.scheme}:// is for Kubernetes runs`,
    });
  }
  return store;
}

/** Lets a storage scheme plug in (S3 registers itself here). */
export function registerStore(store: Store): void {
  stores[store.scheme] = store;
}
