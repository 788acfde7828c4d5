import type { DistributeType } from "../../manifest/types.js";
import { ApiError, type KubeApi } from "./api-client.js";
import { KINDS, type KubeflowKind } from "./objects.js";
import type { K8sEngine } from "./options.js";

/** The Kubeflow kind that runs each distributed type. */
export const KUBEFLOW_KIND: Readonly<Record<Exclude<DistributeType, "none">, KubeflowKind>> = {
  TF_PS: "TFJob",
  PYTORCH_DDP: "PyTorchJob",
  HOROVOD: "MPIJob",
};

export const OPERATOR: Readonly<Record<KubeflowKind, string>> = {
  TFJob: "the Kubeflow training operator v1 (v1.9)",
  PyTorchJob: "the Kubeflow training operator v1 (v1.9)",
  MPIJob: "the Kubeflow mpi-operator (v0.6 or later)",
};

/** Whether the API serves this kind: API discovery of its group/version, which every authenticated user may read. */
export async function served(api: KubeApi, kind: KubeflowKind): Promise<boolean> {
  const { apiVersion, plural } = KINDS[kind]!;
  try {
    const list = await api.get<{ resources?: { name: string; kind: string }[] }>(`/apis/${apiVersion}`);
    return Boolean(list?.resources?.some((r) => r.name === plural && r.kind === kind));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 503)) return false;
    throw e;
  }
}

/** `--k8s-engine`, else `kubeflow` where the kind's CRD is installed, else `native`; with the reason, for the plan. */
export async function chooseEngine(api: KubeApi, distribute: DistributeType, given: K8sEngine | undefined): Promise<{ engine: K8sEngine; why: string }> {
  if (given) return { engine: given, why: "--k8s-engine" };
  if (distribute === "none") return { engine: "native", why: "a single-worker run is a batch/v1 Job, on any cluster" };
  const kind = KUBEFLOW_KIND[distribute];
  if (await served(api, kind)) return { engine: "kubeflow", why: `the cluster serves ${kind} (${KINDS[kind]!.apiVersion})` };
  return { engine: "native", why: `the cluster does not serve ${kind} (${KINDS[kind]!.apiVersion}): Indexed Jobs and a headless Service instead` };
}

/** Without asking a cluster (render): an explicit engine, else Kubeflow, said to be an assumption. */
export function assumedEngine(distribute: DistributeType, given: K8sEngine | undefined): { engine: K8sEngine; why: string } {
  if (given) return { engine: given, why: "--k8s-engine" };
  if (distribute === "none") return { engine: "native", why: "a single-worker run is a batch/v1 Job, on any cluster" };
  return { engine: "kubeflow", why: `assumed: render does not contact the cluster; \`run\` uses ${KUBEFLOW_KIND[distribute]} where it is installed, else --k8s-engine native` };
}
