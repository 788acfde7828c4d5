import { UserError } from "../../errors.js";
import type { BackendDeclaration } from "../declaration.js";
import { DNS1123_SUBDOMAIN } from "./dns.js";
import { DEFAULT_SCHEDULE_TIMEOUT, K8S_ENGINES, parseDuration } from "./options.js";

/** The Kubernetes backend, as the registry lists it, and the options its runs take (see options.ts for their typed view). */
export const kubernetesBackend: BackendDeclaration = {
  name: "kubernetes",
  aliases: ["k8s"],
  title: "Kubernetes",
  summary: "a Kubernetes cluster: a batch/v1 Job, Kubeflow training jobs, or Indexed Jobs with a headless Service",
  remote: true,
  options: [
    {
      name: "context",
      key: "context",
      type: "string",
      valueName: "<name>",
      help: "Kubernetes: the kubeconfig context (default: the current one)",
      parse: (raw, flag) => {
        if (!raw.trim()) throw UserError.of("is empty", { path: flag });
        return raw;
      },
    },
    {
      name: "k8s-engine",
      key: "engine",
      type: "enum",
      valueName: "<engine>",
      choices: [...K8S_ENGINES, "auto"],
      default: "auto",
      help: "Kubernetes: kubeflow (training operators), native (Indexed Jobs) or auto (default: kubeflow where its CRDs are installed)",
      parse: (raw, flag) => {
        if (raw === "auto") return undefined;
        if (!(K8S_ENGINES as readonly string[]).includes(raw)) throw UserError.of(`unknown engine "${raw}"`, { path: flag, hint: "kubeflow, native or auto" });
        return raw;
      },
    },
    {
      name: "s3-secret",
      key: "s3Secret",
      type: "string",
      valueName: "<name>",
      help: "Kubernetes: a Secret with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for s3:// data",
      parse: (raw, flag) => {
        if (!DNS1123_SUBDOMAIN.test(raw)) throw UserError.of(`"${raw}" is not a valid Secret name`, { path: flag, hint: "lower-case letters, digits, '-' and '.', at most 253" });
        return raw;
      },
    },
    {
      name: "create-secret",
      key: "createSecret",
      type: "boolean",
      help: "Kubernetes: create that Secret for this run from your local S3 credentials",
      check: (given) =>
        given.s3Secret !== undefined ? { message: "cannot be combined with --s3-secret", hint: "use an existing Secret, or let the run create its own" } : undefined,
    },
    {
      name: "timeout",
      key: "timeoutSeconds",
      type: "duration",
      valueName: "<duration>",
      help: "Kubernetes: stop the run after this long (activeDeadlineSeconds), e.g. 90m, 2h",
      parse: (raw, flag) => parseDuration(raw, flag),
    },
    {
      name: "schedule-timeout",
      key: "scheduleTimeoutSeconds",
      type: "duration",
      valueName: "<duration>",
      default: DEFAULT_SCHEDULE_TIMEOUT,
      help: "Kubernetes: fail the run when a replica has had no node (or its pod was refused by a quota) for this long, e.g. 30m (default 10m); its objects are then deleted",
      parse: (raw, flag) => parseDuration(raw, flag),
    },
    {
      name: "retries",
      key: "retries",
      type: "integer",
      valueName: "<n>",
      default: 0,
      help: "Kubernetes: restart a failed pod up to n times (backoffLimit; default 0)",
      parse: (raw, flag) => {
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0 || n > 100) throw UserError.of(`"${raw}" is not a whole number from 0 to 100`, { path: flag });
        return n;
      },
    },
    {
      name: "preflight",
      key: "preflight",
      type: "boolean",
      default: true,
      help: "Kubernetes: skip the checks before submit (CRDs, namespace, PVCs, Secrets, capacity)",
    },
    {
      name: "staging-image",
      key: "stagingImage",
      type: "string",
      valueName: "<image>",
      help: "Kubernetes: the image of the staging containers (default: aves2/component-staging:<version>)",
      parse: (raw, flag) => {
        if (!raw.trim() || /\s/.test(raw)) throw UserError.of(`"${raw}" is not an image reference`, { path: flag });
        return raw;
      },
    },
  ],
  load: () => import("./index.js"),
};
