import http from "node:http";
import type { AnyRouter } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Logger } from "./logger.js";
import type { HttpMetrics } from "./metrics.js";
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from "./request-context.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RestRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON; throws HttpError 400 (malformed or empty) or 413 (over the limit). */
  json(): Promise<unknown>;
  /** The raw body as UTF-8 text; throws HttpError 413 over the limit. */
  text(): Promise<string>;
}

export interface RestResponse {
  status: number;
  /** Serialized with JSON.stringify unless it is already a string or Buffer of JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type RestHandler = (request: RestRequest) => Promise<RestResponse> | RestResponse;
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Routes = Record<string, Partial<Record<Method, RestHandler>>>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export interface HttpServerOptions {
  logger: Logger;
  metrics: HttpMetrics;
  routes: Routes;
  trpc: { router: AnyRouter; createContext: () => object };
  readiness: () => Promise<Readiness>;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

const TRPC_PREFIX = "/trpc/";

export function createHttpServer(options: HttpServerOptions): http.Server {
  const { logger, metrics, routes, bodyLimitBytes } = options;
  const procedures = new Set(Object.keys(options.trpc.router._def.procedures));
  const trpcHandler = createHTTPHandler({
    router: options.trpc.router,
    basePath: TRPC_PREFIX,
    maxBodySize: bodyLimitBytes,
    createContext: options.trpc.createContext,
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR")
        logger.error({ err: error.cause ?? error, path }, "trpc procedure failed");
    },
  });

  const builtIn: Routes = {
    "/healthz": { GET: () => ({ status: 200, body: { status: "ok" } }) },
    "/readyz": {
      GET: async () => {
        const readiness = await options.readiness();
        return { status: readiness.ready ? 200 : 503, body: readiness };
      },
    },
    "/metrics": {
      GET: async () => ({
        status: 200,
        body: await metrics.registry.metrics(),
        headers: { "content-type": metrics.registry.contentType },
      }),
    },
  };
  const allRoutes: Routes = { ...routes, ...builtIn };

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const url = new URL(req.url ?? "/", "http://service.invalid");
    const method = req.method ?? "GET";
    let route = "unmatched";
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe({ method, route, status: res.statusCode }, seconds);
      if (res.statusCode >= 500) logger.warn({ requestId, method, route, status: res.statusCode }, "request failed");
    });

    runWithRequestId(requestId, () => {
      if (url.pathname.startsWith(TRPC_PREFIX)) {
        const name = url.pathname.slice(TRPC_PREFIX.length);
        route = procedures.has(name) ? `/trpc/${name}` : "/trpc/unknown";
        trpcHandler(req, res);
        return;
      }
      const byMethod = allRoutes[url.pathname];
      if (byMethod === undefined) {
        send(res, { status: 404, body: { error: `no route for ${url.pathname}` } });
        return;
      }
      route = url.pathname;
      const handler = byMethod[method as Method];
      if (handler === undefined) {
        send(res, {
          status: 405,
          body: { error: `method ${method} not allowed on ${url.pathname}` },
          headers: { allow: Object.keys(byMethod).join(", ") },
        });
        return;
      }
      const text = () => readText(req, bodyLimitBytes);
      const request: RestRequest = { method, url, headers: req.headers, json: () => text().then(parseJson), text };
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (response) => send(res, response),
          (error: unknown) => {
            if (error instanceof HttpError) {
              send(res, { status: error.status, body: { error: error.message } });
              return;
            }
            logger.error({ err: error, route }, "request handler failed");
            send(res, { status: 500, body: { error: "internal error" } });
          },
        );
    });
  });

  server.requestTimeout = options.requestTimeoutMs;
  server.headersTimeout = Math.min(options.requestTimeoutMs, 60_000);
  // Longer than typical load balancer idle timeouts, so the proxy closes idle connections first.
  server.keepAliveTimeout = 65_000;
  return server;
}

function send(res: http.ServerResponse, response: RestResponse): void {
  if (res.headersSent) return;
  const { body } = response;
  const payload =
    body === undefined ? "" : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(response.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

function parseJson(text: string): unknown {
  if (text.trim() === "") throw new HttpError(400, "request body is empty; expected a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}

function readText(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `request body is larger than ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new HttpError(413, `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", () => reject(new HttpError(400, "request body could not be read")));
    req.on("end", () => {
      if (size <= limit) resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
