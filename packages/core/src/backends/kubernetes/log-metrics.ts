import { metricsOfLog, type RunMetrics } from "../../run/metrics.js";
import type { KubeApi } from "./api-client.js";
import { type K8sObject, resourcePath } from "./objects.js";
import type { PodGroup } from "./render-context.js";
import { mainReplica, replicaOf } from "./status.js";

/**
 * The metrics a run printed, read from its main replica's (rank 0's) log:
 * for a run nobody followed (detached), whose metrics no one recorded as
 * they came. Undefined while that container has not started or printed none.
 */
export async function metricsFromLog(api: KubeApi, namespace: string, groups: readonly PodGroup[], pods: readonly K8sObject[]): Promise<RunMetrics | undefined> {
  const main = mainReplica(groups);
  const pod = pods.filter((p) => replicaOf(p) === `${main.role}-0`).pop();
  if (!pod) return undefined;
  try {
    const res = await api.stream(resourcePath("Pod", namespace, pod.metadata.name, "log"), { container: main.container });
    let text = "";
    for await (const c of res) text += c;
    return metricsOfLog(text);
  } catch {
    // the container has not started: no metrics yet
    return undefined;
  }
}
