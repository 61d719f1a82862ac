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

/**
 * Answers a service may already hold in memory (e.g. in a cache), given synchronously or not at all. They are sent
 * without a request context (the `AsyncLocalStorage` scope that puts the request id on log lines, which costs more
 * than such an answer itself), so they must not log, call out or start asynchronous work. Returning undefined (or
 * throwing) leaves the request to the route's handler or to tRPC, which run with the context.
 *
 * - `FastRoutes`: REST paths; a `GET` of the path (any query string) gets the response.
 * - `FastQueries`: tRPC queries without input; a plain `GET /trpc/<name>` (no query string, no streaming or
 *   batching) gets these bytes exactly as tRPC would send them (200, `application/json`, the same `vary`), without
 *   tRPC's conversion to and from Fetch API objects.
 */
export type FastRoutes = Record<string, () => RestResponse | undefined>;
export type FastQueries = Record<string, () => Buffer | undefined>;

export interface HttpServerOptions {
  logger: Logger;
  metrics: HttpMetrics;
  routes: Routes;
  fastRoutes?: FastRoutes;
  trpc: { router: AnyRouter; createContext: () => object; fastQueries?: FastQueries };
  readiness: () => Promise<Readiness>;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

const TRPC_PREFIX = "/trpc/";
const URL_BASE = "http://service.invalid";
/** Paths that `new URL()` would leave exactly as they are: no dot segments, doubled slashes, escapes or fragments. */
const PLAIN_PATH = /^\/[A-Za-z0-9_.\-/]*$/;
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const TRPC_HEADERS = { "content-type": "application/json", vary: "trpc-accept, accept" } as const;

/**
 * The path of a request target as `new URL()` would normalize it. A path the service serves is plain by
 * construction and is taken as it is; anything else is checked first.
 */
function pathnameOf(target: string, queryAt: number, servedPaths: ReadonlySet<string>): string {
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (servedPaths.has(path)) return path;
  if (PLAIN_PATH.test(path) && !path.includes("//") && !path.includes("/.")) return path;
  return new URL(target, URL_BASE).pathname;
}

/** The request a REST handler sees; `url` is parsed only when a handler reads it. */
class IncomingRestRequest implements RestRequest {
  private parsedUrl: URL | undefined;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly target: string,
    private readonly bodyLimitBytes: number,
  ) {}

  get method(): string {
    return this.req.method ?? "GET";
  }

  get url(): URL {
    this.parsedUrl ??= new URL(this.target, URL_BASE);
    return this.parsedUrl;
  }

  get headers(): http.IncomingHttpHeaders {
    return this.req.headers;
  }

  text(): Promise<string> {
    return readText(this.req, this.bodyLimitBytes);
  }

  json(): Promise<unknown> {
    return this.text().then(parseJson);
  }
}

export function createHttpServer(options: HttpServerOptions): http.Server {
  const { logger, metrics, routes, bodyLimitBytes } = options;
  const procedurePaths = new Set(
    Object.keys(options.trpc.router._def.procedures).map((name) => `${TRPC_PREFIX}${name}`),
  );
  const fastQueries = new Map(
    Object.entries(options.trpc.fastQueries ?? {}).map(([name, answer]) => [`${TRPC_PREFIX}${name}`, answer]),
  );
  const fastRoutes = new Map(Object.entries(options.fastRoutes ?? {}));
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
  const allRoutes = new Map(Object.entries({ ...routes, ...builtIn }));
  const servedPaths = new Set([...allRoutes.keys(), ...procedurePaths]);

  /**
   * One request: routes it, sends the answer, and records it in the metrics. Responses carry the request id under
   * the literal key "x-request-id" (REQUEST_ID_HEADER): literal keys build faster than computed ones.
   */
  class Exchange {
    route = "unmatched";
    private readonly started = performance.now();
    private readonly method: string;
    private readonly target: string;
    private readonly queryAt: number;
    private readonly pathname: string;

    constructor(
      readonly req: http.IncomingMessage,
      readonly res: http.ServerResponse,
      readonly requestId: string,
    ) {
      this.method = req.method ?? "GET";
      this.target = req.url ?? "/";
      this.queryAt = this.target.indexOf("?");
      this.pathname = pathnameOf(this.target, this.queryAt, servedPaths);
    }

    run(): void {
      if (this.pathname.startsWith(TRPC_PREFIX)) this.trpc();
      else this.rest();
    }

    private rest(): void {
      const byMethod = allRoutes.get(this.pathname);
      if (byMethod === undefined) {
        this.send({ status: 404, body: { error: `no route for ${this.pathname}` } });
        return;
      }
      this.route = this.pathname;
      const handler = byMethod[this.method as Method];
      if (handler === undefined) {
        this.send({
          status: 405,
          body: { error: `method ${this.method} not allowed on ${this.pathname}` },
          headers: { allow: Object.keys(byMethod).join(", ") },
        });
        return;
      }
      let response: ReturnType<RestHandler>;
      try {
        response = handler(new IncomingRestRequest(this.req, this.target, bodyLimitBytes));
      } catch (error) {
        this.failed(error);
        return;
      }
      // A handler that answers synchronously (e.g. from a cache) is sent in the same tick.
      if (response instanceof Promise) {
        response.then(
          (value) => this.send(value),
          (error: unknown) => this.failed(error),
        );
      } else {
        this.send(response);
      }
    }

    private failed(error: unknown): void {
      if (error instanceof HttpError) {
        this.send({ status: error.status, body: { error: error.message } });
        return;
      }
      logger.error({ err: error, route: this.route }, "request handler failed");
      this.send({ status: 500, body: { error: "internal error" } });
    }

    /** Sends the answer the service holds in memory for this request, if any (see FastRoutes, FastQueries). */
    answerFromMemory(): boolean {
      if (this.method !== "GET") return false;
      if (!this.pathname.startsWith(TRPC_PREFIX)) {
        const response = answerOf(fastRoutes.get(this.pathname));
        if (response === undefined) return false;
        this.route = this.pathname;
        this.send(response);
        return true;
      }
      const { headers } = this.req;
      if (this.queryAt !== -1 || this.target !== this.pathname) return false;
      if (headers["trpc-accept"] !== undefined || headers.accept === "application/jsonl") return false;
      const body = answerOf(fastQueries.get(this.pathname));
      if (body === undefined) return false;
      this.route = this.pathname;
      const { res } = this;
      res.writeHead(200, {
        "content-type": TRPC_HEADERS["content-type"],
        vary: TRPC_HEADERS.vary,
        "content-length": body.length,
        "x-request-id": this.requestId,
      });
      res.end(body);
      this.observe();
      return true;
    }

    private trpc(): void {
      this.route = procedurePaths.has(this.pathname) ? this.pathname : "/trpc/unknown";
      this.delegate();
    }

    /** tRPC writes the response itself; it is recorded when it finishes. */
    private delegate(): void {
      this.res.setHeader(REQUEST_ID_HEADER, this.requestId);
      this.res.on("finish", () => this.observe());
      trpcHandler(this.req, this.res);
    }

    send(response: RestResponse): void {
      const { res } = this;
      if (res.headersSent) return;
      const { body } = response;
      const payload =
        body === undefined ? "" : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const length = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
      res.writeHead(
        response.status,
        response.headers === undefined
          ? { "content-type": JSON_CONTENT_TYPE, "content-length": length, "x-request-id": this.requestId }
          : {
              "content-type": JSON_CONTENT_TYPE,
              "content-length": length,
              [REQUEST_ID_HEADER]: this.requestId,
              ...response.headers,
            },
      );
      res.end(payload);
      this.observe();
    }

    private observe(): void {
      const status = this.res.statusCode;
      metrics.record(this.method, this.route, status, (performance.now() - this.started) / 1000);
      if (status >= 500) {
        logger.warn({ requestId: this.requestId, method: this.method, route: this.route, status }, "request failed");
      }
    }
  }

  const server = http.createServer((req, res) => {
    const exchange = new Exchange(req, res, requestIdFrom(req.headers[REQUEST_ID_HEADER]));
    if (!exchange.answerFromMemory()) runWithRequestId(exchange.requestId, () => exchange.run());
  });

  server.requestTimeout = options.requestTimeoutMs;
  server.headersTimeout = Math.min(options.requestTimeoutMs, 60_000);
  // Longer than typical load balancer idle timeouts, so the proxy closes idle connections first.
  server.keepAliveTimeout = 65_000;
  return server;
}

/** What a FastRoutes or FastQueries entry holds; a failing one holds nothing (the full path will report it). */
function answerOf<T>(answer: (() => T | undefined) | undefined): T | undefined {
  if (answer === undefined) return undefined;
  try {
    return answer();
  } catch {
    return undefined;
  }
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
