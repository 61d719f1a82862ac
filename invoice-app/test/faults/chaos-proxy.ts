import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ChaosStats {
  forwarded: number;
  injected5xx: number;
  injectedTimeouts: number;
  duplicates: number;
  delayed: number;
  upstreamDown: number;
}

export interface ChaosOptions {
  /** Upstream base URLs; requests go round-robin, skipping ones that refuse connections. */
  targets: string[];
  seed: number;
  /** Decides what happens to one request; undefined forwards it untouched. */
  fault(path: string, random: () => number): "5xx" | "timeout" | "duplicate" | "delay-duplicate" | undefined;
}

/**
 * A fault-injecting HTTP proxy between two real services: answers 5xx without forwarding, forwards but never
 * answers (the caller times out after the upstream did the work), or forwards twice, sometimes late, so
 * deliveries arrive duplicated and out of order.
 */
export async function startChaosProxy(options: ChaosOptions) {
  const stats: ChaosStats = {
    forwarded: 0,
    injected5xx: 0,
    injectedTimeouts: 0,
    duplicates: 0,
    delayed: 0,
    upstreamDown: 0,
  };
  const random = seeded(options.seed);
  let next = 0;

  const forward = async (path: string, method: string, headers: Record<string, string>, body: Buffer) => {
    for (let tried = 0; tried < options.targets.length; tried++) {
      const target = options.targets[next++ % options.targets.length];
      try {
        const response = await fetch(`${target}${path}`, {
          method,
          headers,
          ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        stats.forwarded++;
        return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
      } catch {
        stats.upstreamDown++;
      }
    }
    return { status: 502, type: "application/json", body: JSON.stringify({ error: "no upstream answered" }) };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const path = req.url ?? "/";
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === "string" && !["host", "connection", "content-length"].includes(name))
            headers[name] = value;
        }
        const fault = options.fault(path, random);
        if (fault === "5xx") {
          stats.injected5xx++;
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "injected fault", code: -32603, data: { httpStatus: 503 } } }));
          return;
        }
        if (fault === "delay-duplicate") {
          stats.delayed++;
          await sleep(Math.floor(random() * 300));
        }
        const answer = await forward(path, req.method ?? "GET", headers, body);
        if (fault === "duplicate" || fault === "delay-duplicate") {
          stats.duplicates++;
          const delay = Math.floor(random() * 500);
          setTimeout(() => void forward(path, req.method ?? "GET", headers, body), delay);
        }
        if (fault === "timeout") {
          stats.injectedTimeouts++;
          // the upstream did the work; its answer is lost: hold the connection until the caller gives up
          setTimeout(() => res.destroy(), 20_000).unref();
          return;
        }
        res.writeHead(answer.status, answer.type === null ? {} : { "content-type": answer.type });
        res.end(answer.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
