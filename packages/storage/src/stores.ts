import { UserError } from "./errors.js";
import { hostpathStore } from "./hostpath/hostpath-store.js";
import { localStore } from "./local/local-store.js";
import { s3Store } from "./s3/s3-store.js";
import type { Store } from "./store.js";
import type { DataUri } from "./uri.js";

const stores: Partial<Record<DataUri["scheme"], Store>> = { file: localStore, hostpath: hostpathStore, s3: s3Store };

/** The store for a URI's scheme. `what` names the binding in the error. */
export function storeFor(uri: DataUri, what: string): Store {
  const store = stores[uri.scheme];
  if (!store) {
    throw UserError.of(`${uri.scheme}:// is not supported for local runs yet`, {
      path: what,
      hint: `${uri.scheme}:// is for Kubernetes runs`,
    });
  }
  return store;
}

/** Lets a storage scheme plug in (or a test replace one). */
export function registerStore(store: Store): void {
  stores[store.scheme] = store;
}
