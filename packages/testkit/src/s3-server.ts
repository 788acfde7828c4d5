import { freePort } from "./ports.js";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

// the SDK's "use Node 22" notice is noise in test output
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const MAIN = fileURLToPath(new URL("./s3rver-main.js", import.meta.url));

/** s3rver's one account; any other access key id is refused (InvalidAccessKeyId). */
export const S3_TEST_KEY = "S3RVER";
export const S3_TEST_SECRET = "S3RVER";

export interface S3TestServer {
  readonly endpoint: string;
  readonly port: number;
  /** Where s3rver keeps buckets and objects (kept across restarts). */
  readonly dir: string;
  /** The environment that points the CLI (and the AWS SDK) at this server. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** A client of the AWS SDK for this server, for tests to look at what is stored. */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** SIGKILL: like a server that crashes or loses power in the middle of a request. */
  kill(): Promise<void>;
  /** Starts it again on the same port, with the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}


function launch(port: number, dir: string, buckets: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--openssl-legacy-provider", MAIN, String(port), dir, ...buckets], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`s3rver did not start on port ${port} in 20 s: ${err}`));
    }, 20_000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before it was ready: ${err}`));
    });
  });
}

/**
 * Real S3 never shows a partial object, but s3rver writes an object's data,
 * .md5 and metadata files one after another, so a SIGKILL can leave a torn
 * object that makes every later listing fail with 500. On restart we discard
 * those, as a real server's recovery would; complete objects are kept.
 */
function discardTornObjects(dir: string): number {
  let discarded = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith("._S3rver_object")) continue;
    const object = join(entry.parentPath, entry.name);
    const base = object.slice(0, -"object".length);
    let whole = false;
    try {
      // written last: its presence, parseable, means the data and .md5 are complete
      JSON.parse(readFileSync(`${base}metadata.json`, "utf8"));
      whole = /^[0-9a-f]{32}$/.test(readFileSync(`${object}.md5`, "utf8"));
    } catch {
      whole = false;
    }
    if (whole) continue;
    for (const f of [object, `${object}.md5`, `${base}metadata.json`]) rmSync(f, { force: true });
    discarded++;
  }
  return discarded;
}

async function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  await done;
}

/**
 * The S3 test server: npm s3rver on a free 127.0.0.1 port, in a child process
 * (so it can be killed and restarted mid-transfer), with these buckets.
 */
export async function startS3Server(opts: { buckets?: readonly string[]; dir?: string; port?: number } = {}): Promise<S3TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "aves2-s3rver-"));
  const port = opts.port ?? (await freePort());
  const buckets = opts.buckets ?? [];
  let child = await launch(port, dir, buckets);
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const server: S3TestServer = {
    endpoint,
    port,
    dir,
    env: (extra = {}) => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: S3_TEST_KEY,
      AWS_SECRET_ACCESS_KEY: S3_TEST_SECRET,
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...extra,
    }),
    client: () => {
      const c = new S3Client({
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: S3_TEST_KEY, secretAccessKey: S3_TEST_SECRET },
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      clients.push(c);
      return c;
    },
    createBucket: async (name) => {
      const c = server.client();
      await c.send(new CreateBucketCommand({ Bucket: name }));
    },
    kill: () => exited(child, "SIGKILL"),
    restart: async () => {
      await exited(child, "SIGKILL");
      discardTornObjects(dir);
      child = await launch(port, dir, []);
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await exited(child, "SIGTERM");
    },
  };
  return server;
}
