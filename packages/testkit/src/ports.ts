import { createServer } from "node:net";

/**
 * A 127.0.0.1 port that was free a moment ago: for a test server to listen on,
 * or, left unused, as a port where nothing answers (ECONNREFUSED).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
