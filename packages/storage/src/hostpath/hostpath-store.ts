import { localStore } from "../local/local-store.js";
import type { Store } from "../store.js";
import { type DataUri, formatUri } from "../uri.js";

/**
 * `hostpath:///p` names a folder on the node that runs the job. For a local
 * run this machine is that node, so the folder is used in place; a job file
 * written for AVES2 with HostPath data then also runs here unchanged.
 */
function onThisNode(uri: DataUri): { scheme: "file"; path: string } {
  if (uri.scheme !== "hostpath") throw new Error(`hostpath store given ${uri.scheme}://`);
  return { scheme: "file", path: uri.path };
}

export const hostpathStore: Store = {
  scheme: "hostpath",
  localPath: (uri) => onThisNode(uri).path,
  checkInput: (uri, what) => localStore.checkInput(onThisNode(uri), what),
  checkOutput: (uri, what) => localStore.checkOutput(onThisNode(uri), what),
  stageIn: async (uri, dir, name, progress) => ({ ...(await localStore.stageIn(onThisNode(uri), dir, name, progress)), uri: formatUri(uri) }),
  stageOut: async (dir, uri, name, progress) => ({ ...(await localStore.stageOut(dir, onThisNode(uri), name, progress)), uri: formatUri(uri) }),
};
