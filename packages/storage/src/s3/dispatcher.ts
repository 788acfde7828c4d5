import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Agent as AgentType, Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentType } from "undici";

// undici's index loads fetch, WebSocket, caches and mocks too: 45 ms more on
// a `storage ls` that takes 200. Its Agent alone loads in 20. Behind a proxy
// the index is loaded: it gives dispatchers the `connect` a tunnel needs.
const require = createRequire(import.meta.url);
const agentClass = (): typeof AgentType => {
  quickWasm();
  return require("undici/lib/dispatcher/agent.js");
};
const proxyAgentClass = (): typeof EnvHttpProxyAgentType => {
  quickWasm();
  return require("undici").EnvHttpProxyAgent;
};

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it at
 * once with its baseline compiler and then again, optimised, on background
 * threads; a process that ends before that is done waits for it: 90 ms at
 * the end of every `storage ls`. The baseline code is what runs here (llhttp
 * skips over bodies, it does not walk them), so the second compile is not
 * asked for. Set before the parser is first compiled; nothing else here
 * uses WebAssembly.
 */
function quickWasm(): void {
  setFlagsFromString("--no-wasm-tier-up");
  setFlagsFromString("--no-wasm-dynamic-tiering");
}

/** Requests in flight per endpoint; connections are kept above it so none waits for one. */
export const MAX_REQUESTS = 32;
/** A server that accepts nothing in this long is treated as down (the request is retried). */
const CONNECT_MS = 5_000;
/** A request that hears nothing for this long is given up (and retried). */
export const IDLE_MS = 120_000;
/** Servers close idle keep-alive connections after a few seconds: reuse only within this. */
const KEEP_ALIVE_MS = 4_000;

/** The proxy settings as aws-cli reads them: lower-case names first, then upper-case. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name];
  return v ? v : undefined;
}

/**
 * The proxy an endpoint is reached through, as aws-cli (botocore) picks it:
 * HTTPS_PROXY for an https endpoint, HTTP_PROXY for an http one, none when
 * NO_PROXY names the host (undici's matching: suffixes, ports, `*`).
 */
export function proxyFor(endpoint: URL, env: NodeJS.ProcessEnv): string | undefined {
  return envValue(env, endpoint.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY");
}

/**
 * One pool of keep-alive connections per endpoint (undici's Agent), through
 * the proxy the environment names. Plain http goes to an http proxy as
 * absolute-form requests, https through a CONNECT tunnel, as curl and
 * aws-cli do. `ca`: the certificates an https endpoint may chain to.
 */
export function endpointDispatcher(endpoint: URL, env: NodeJS.ProcessEnv, ca: readonly string[] | undefined): Dispatcher {
  const tls = ca ? { ca: [...ca] } : {};
  const options = {
    connections: MAX_REQUESTS * 2,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MS,
    headersTimeout: IDLE_MS,
    bodyTimeout: IDLE_MS,
    connect: { timeout: CONNECT_MS, ...tls },
  };
  const proxy = proxyFor(endpoint, env);
  if (!proxy) return new (agentClass())(options);
  // one endpoint, one protocol: both of undici's slots get the proxy botocore would use for it
  return new (proxyAgentClass())({ ...options, httpProxy: proxy, httpsProxy: proxy, noProxy: envValue(env, "NO_PROXY") ?? "", proxyTunnel: false, requestTls: tls });
}
