import { type Command, Option } from "commander";
import { collect } from "../program.js";

/** `--aves2-host`, on `run` and on every verb that may ask an AVES2 server about a job. */
export const AVES2_HOST_HELP = "the AVES2 server, e.g. http://host/aves2/ (default: AVES2_HOST or ~/.aves2/aves2.cfg)";

/** The flags that describe a run, shared by `run` and `render`. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option("-s, --set <name=value>", "set a param (repeatable; wins over --params)", collect)
    .option("-p, --params <file.yaml>", "read params from a YAML mapping (repeatable; later files win)", collect)
    .option("-i, --input <name=uri>", "bind an input to a folder or URI, or to another run's output: run:<run-id>/<output>, run:latest/<output>, run:<component>@latest/<output> (repeatable)", collect)
    .option("--output <name=uri>", "save an output to a folder or URI after the run (repeatable)", collect)
    .option("-f, --file <job.yaml>", "an AVES2 job file (seed format): its component (or command), params, data and resources; other flags change it")
    .option("--code <uri>", "use this source folder (or s3://... for AVES2) instead of the component's bundled code")
    .option("-b, --backend <name>", "where to run: local (default), aves2 or kubernetes (k8s)")
    .addOption(new Option("--distribute <type>", "distribution type").choices(["none", "PYTORCH_DDP", "TF_PS", "HOROVOD"]))
    .option("--workers <n>", "number of workers (with --distribute)")
    .option("-r, --resource <role.key=value>", "override a resource, e.g. worker.cpu=8, worker.mem=16 (GiB), worker.gpu=1, ps.count=2 (repeatable)", collect)
    .option("--name <text>", "a human name for the run (AVES2: job_name)")
    .option("-e, --env <NAME=value>", "an environment variable for the process (repeatable)", collect)
    .option("--image <image>", "container image (AVES2, Kubernetes; default: the component's, the GPU one when a worker has GPUs)")
    .option("--namespace <ns>", "AVES2/Kubernetes namespace (default: the AVES2 client config's or the kubeconfig context's, else default)")
    .option("--debug-job", "AVES2 `debug: true`: the server keeps the job's pods after it ends")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .option("--python <path>", "Python interpreter for local runs (default: the first that has the component's modules)")
    .option("--registry <url>", "npm registry to fetch <name>@<version> from when this catalog lacks it (default: npm's config)")
    .option("--from <s3-uri>", "fetch <name>@<version> from this catalog in object storage instead, e.g. s3://aves2/components/")
    // Kubernetes only (see README, "Kubernetes")
    .option("--context <name>", "Kubernetes: the kubeconfig context (default: the current one)")
    .option("--k8s-engine <engine>", "Kubernetes: kubeflow (training operators), native (Indexed Jobs) or auto (default: kubeflow where its CRDs are installed)")
    .option("--s3-secret <name>", "Kubernetes: a Secret with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for s3:// data")
    .option("--create-secret", "Kubernetes: create that Secret for this run from your local S3 credentials")
    .option("--timeout <duration>", "Kubernetes: stop the run after this long (activeDeadlineSeconds), e.g. 90m, 2h")
    .option("--retries <n>", "Kubernetes: restart a failed pod up to n times (backoffLimit; default 0)")
    .option("--no-preflight", "Kubernetes: skip the checks before submit (CRDs, namespace, PVCs, Secrets, capacity)")
    .option("--staging-image <image>", "Kubernetes: the image of the staging containers (default: aves2/component-staging:<version>)");
}
