import { ApiError, type KubeApi } from "./api-client.js";
import { type K8sObject, resourcePath } from "./objects.js";
import { accessOf, forbiddenText } from "./permissions.js";

/**
 * Pods that are never created. Quota, LimitRange and Pod Security admit a
 * job and refuse its pods: the job stays, podless, and the only trace is a
 * FailedCreate Event its controller records on it (the Job controller and
 * the Kubeflow operators alike), again and again.
 */
export interface CreateRefusal {
  /** `Job x`, `PyTorchJob y`. */
  readonly about: string;
  /** What admission said, without the `Error creating: pods "..." is forbidden:` head. */
  readonly message: string;
  /** A quota that is used up may free up: that refusal is worth waiting for; any other is for good. */
  readonly transient: boolean;
}

export interface RunEvents {
  readonly refusals: readonly CreateRefusal[];
  /** Set when the user's role may not read events: what it lacks. */
  readonly unreadable?: string;
}

interface EventObject {
  readonly reason?: string;
  readonly message?: string;
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
}

/** `Error creating: pods "x-1" is forbidden: exceeded quota: ...` → `exceeded quota: ...`. */
export function refusalText(message: string): string {
  return message.replace(/^Error creating:\s*/, "").replace(/^pods(?: "[^"]*")? is forbidden:\s*/, "");
}

/** The FailedCreate Events of the run's jobs (these objects, by uid: a job of an earlier attempt had another). */
export async function readRunEvents(api: KubeApi, namespace: string, jobs: readonly K8sObject[]): Promise<RunEvents> {
  const refusals: CreateRefusal[] = [];
  for (const job of jobs.filter((j) => j.metadata.uid)) {
    let items: EventObject[];
    try {
      const l = await api.request<{ items?: EventObject[] }>("GET", resourcePath("Event", namespace), { query: { fieldSelector: `involvedObject.uid=${job.metadata.uid},reason=FailedCreate` } });
      items = l.items ?? [];
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && e.request) return { refusals, unreadable: forbiddenText(accessOf(e.request)) };
      throw e;
    }
    for (const ev of items) {
      const message = refusalText(ev.message ?? "");
      if (!message || refusals.some((r) => r.message === message)) continue;
      refusals.push({ about: `${job.kind} ${job.metadata.name}`, message, transient: /exceeded quota/.test(message) });
    }
  }
  return { refusals };
}
