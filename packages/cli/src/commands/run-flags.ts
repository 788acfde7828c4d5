import { backendDeclarations, declaredOptions, optionFlag } from "@aves2/core/backends";
import { type Command, Option } from "commander";
import { collect } from "../program.js";

/** `--aves2-host`, on `run` and on every verb that may ask an AVES2 server about a job. */
export const AVES2_HOST_HELP = "the AVES2 server, e.g. http://host/aves2/ (default: AVES2_HOST or ~/.aves2/aves2.cfg)";

/** `local (default), aves2 or kubernetes (k8s)`: the registered backends, the first the default. */
function backendChoices(): string {
  const names = backendDeclarations().map((d, i) => `${d.name}${i === 0 ? " (default)" : ""}${d.aliases?.length ? ` (${d.aliases.join(", ")})` : ""}`);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : (names[0] ?? "");
}

/** The flags that describe a run, shared by `run` and `render`. */
export function addRunFlags(cmd: Command): Command {
  cmd
    .option("-s, --set <name=value>", "set a param (repeatable; wins over --params)", collect)
    .option("-p, --params <file.yaml>", "read params from a YAML mapping (repeatable; later files win)", collect)
    .option("-i, --input <name=uri>", "bind an input to a folder or URI, or to another run's output: run:<run-id>/<output>, run:latest/<output>, run:<component>@latest/<output> (repeatable)", collect)
    .option("--output <name=uri>", "save an output to a folder or URI after the run (repeatable)", collect)
    .option("-f, --file <job.yaml>", "an AVES2 job file (seed format): its component (or command), params, data and resources; other flags change it")
    .option("--code <uri>", "use this source folder (or s3://... for AVES2) instead of the component's bundled code")
    .option("-b, --backend <name>", `where to run: ${backendChoices()}`)
    .addOption(new Option("--distribute <type>", "distribution type").choices(["none", "PYTORCH_DDP", "TF_PS", "HOROVOD"]))
    .option("--workers <n>", "number of workers (with --distribute)")
    .option("-r, --resource <role.key=value>", "override a resource, e.g. worker.cpu=8, worker.mem=16 (GiB), worker.gpu=1, ps.count=2 (repeatable)", collect)
    .option("--name <text>", "a human name for the run (AVES2: job_name)")
    .option("-e, --env <NAME=value>", "an environment variable for the process (repeatable)", collect)
    .option("--image <image>", "container image (AVES2, Kubernetes; default: the component's, the GPU one when a worker has GPUs)")
    .option("--namespace <ns>", "AVES2/Kubernetes namespace (default: the AVES2 client config's or the kubeconfig context's, else default)")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .option("--python <path>", "Python interpreter for local runs (default: the first that has the component's modules)")
    .option("--registry <url>", "npm registry to fetch <name>@<version> from when this catalog lacks it (default: npm's config)")
    .option("--from <s3-uri>", "fetch <name>@<version> from this catalog in object storage instead, e.g. s3://aves2/components/");
  // the options each backend declares (see `component backends`)
  for (const { option } of declaredOptions()) cmd.option(optionFlag(option), option.help);
  return cmd;
}
