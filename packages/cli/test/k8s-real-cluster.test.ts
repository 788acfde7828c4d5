import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli, tempDir, waitFor } from "./cli.js";

/**
 * Opt-in: the Kubernetes backend against a REAL cluster. Runs only when
 * AVES2_E2E_KUBECONFIG names a kubeconfig; skipped otherwise (and its name
 * says so in the test output).
 *
 *   kind create cluster --name aves2 --kubeconfig /tmp/aves2-kind
 *   docker build -f docker/staging/Dockerfile -t aves2/component-staging:e2e .
 *   kind load docker-image aves2/component-staging:e2e --name aves2
 *   # optional, for PyTorchJob/TFJob: the Kubeflow training operator v1
 *   kubectl --kubeconfig /tmp/aves2-kind apply --server-side -k "github.com/kubeflow/training-operator.git/manifests/overlays/standalone?ref=v1.9.2"
 *   AVES2_E2E_KUBECONFIG=/tmp/aves2-kind AVES2_E2E_STAGING_IMAGE=aves2/component-staging:e2e \
 *     pnpm --filter @aves2/cli exec vitest run test/k8s-real-cluster.test.ts
 *
 * Other knobs: AVES2_E2E_NAMESPACE (default: the context's), AVES2_E2E_IMAGE
 * (the training image; default: the component's CPU image).
 */
const KUBECONFIG = process.env.AVES2_E2E_KUBECONFIG;
const NAME = KUBECONFIG ? `real Kubernetes cluster (AVES2_E2E_KUBECONFIG=${KUBECONFIG})` : "real Kubernetes cluster: SKIPPED, set AVES2_E2E_KUBECONFIG to a kubeconfig to run it";
const MINUTES = 60_000;
// said in the output too, where a skipped file's test names are not shown
if (!KUBECONFIG) console.info(`k8s-real-cluster: ${NAME}`);

describe.skipIf(!KUBECONFIG)(NAME, () => {
  const dir = tempDir("aves2-k8s-e2e-");
  const env = {
    KUBECONFIG: KUBECONFIG ?? "",
    AVES2_RUNS_DIR: join(dir, "runs"),
    CI: "1",
    ...(process.env.AVES2_E2E_STAGING_IMAGE ? { AVES2_STAGING_IMAGE: process.env.AVES2_E2E_STAGING_IMAGE } : {}),
  };
  const where = [...(process.env.AVES2_E2E_NAMESPACE ? ["--namespace", process.env.AVES2_E2E_NAMESPACE] : []), ...(process.env.AVES2_E2E_IMAGE ? ["--image", process.env.AVES2_E2E_IMAGE] : [])];
  const small = ["--set", "epochs=1", "-r", "worker.cpu=1", "-r", "worker.mem=2", ...where];
  const cli = (args: string[]) => runCli(args, { cwd: REPO, env });

  it(
    "mobilenet-v2, one worker: runs to the end, with metrics, logs and a listing",
    async () => {
      const r = await cli(["run", "mobilenet-v2", "--backend", "k8s", ...small]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/✓ succeeded/);
      expect(r.stdout).toMatch(/metrics: .*top1=/);
      const runId = /run (mobilenet-v2-\S+):/.exec(r.stdout)![1]!;
      const status = await cli(["status", runId, "--json"]);
      expect(JSON.parse(status.stdout)).toMatchObject({ state: "succeeded", exitCode: 0 });
      const logs = await cli(["logs", runId]);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout.length).toBeGreaterThan(0);
      const runs = await cli(["runs", "--backend", "kubernetes"]);
      expect(runs.stdout).toContain(runId);
    },
    20 * MINUTES,
  );

  it(
    "--detach then cancel: the run is canceled and its objects are deleted",
    async () => {
      const r = await cli(["run", "mobilenet-v2", "--backend", "k8s", "--detach", ...small, "--set", "epochs=50"]);
      expect(r.code, r.stderr).toBe(0);
      const runId = r.stdout.trim();
      const cancel = await cli(["cancel", runId]);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toContain("canceled");
      const status = await cli(["status", runId, "--json"]);
      expect(JSON.parse(status.stdout)).toMatchObject({ runId, state: "canceled" });
      // the objects go in the background: the cluster stops listing the run once its primary object is gone
      const listed = async () => {
        const runs = await cli(["runs", "--backend", "kubernetes", "--json"]);
        expect(runs.code, runs.stderr).toBe(0);
        return (JSON.parse(runs.stdout) as { runId: string }[]).map((x) => x.runId);
      };
      await waitFor(async () => ((await listed()).includes(runId) ? undefined : true), 2 * MINUTES);
    },
    5 * MINUTES,
  );

  it(
    "preflight: a request no node can hold is an error before anything is created",
    async () => {
      const r = await cli(["run", "mobilenet-v2", "--backend", "k8s", ...where, "-r", "worker.cpu=10000"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no node can hold worker-0");
    },
    2 * MINUTES,
  );

  it(
    "PYTORCH_DDP with two workers, operator-free (Indexed Jobs and a headless Service)",
    async () => {
      const r = await cli(["run", "mobilenet-v2", "--backend", "k8s", "--distribute", "PYTORCH_DDP", "--workers", "2", "--k8s-engine", "native", ...small]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("[worker-0]");
      expect(r.stdout).toContain("[worker-1]");
    },
    20 * MINUTES,
  );
});
