import http from "node:http";

const MAX_SOCKETS_PER_HOST = 64;

// TLS is loaded when a peer URL says https, not at start: in-cluster calls are plain HTTP, and node:https costs a
// process about 3 MB of RSS.
const https = () => process.getBuiltinModule("node:https");

/**
 * Whether an HTTP status says the peer refused the request itself (a 4xx other than 408 Request Timeout and 429 Too
 * Many Requests): sending the same request again cannot succeed. Anything else that is not a success may pass.
 */
export function isRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * A `fetch` for service-to-service calls, on node:http with keep-alive connections. It answers with a standard
 * `Response` (status, headers, fully read body), so clients written against fetch (the tRPC client, the webhook
 * sender) work unchanged; it only skips undici's request pipeline, which costs about twice the CPU per call
 * (measured by `npm run bench`'s payment flow). Bodies it cannot send as-is (streams, form data) go to the global
 * fetch. `signal` aborts the call at any stage, as with fetch.
 */
export function createHttpFetch(): typeof fetch {
  // A bound on the connections a process opens to one host: when a batch call fails and its jobs fall back to one
  // call each, they queue here instead of opening hundreds of sockets to a peer that is already in trouble.
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
  let httpsAgent: http.Agent | undefined;
  return (input, init) => {
    const url = input instanceof Request ? undefined : new URL(String(input));
    const body = init?.body;
    const plainBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || !plainBody) {
      return fetch(input, init);
    }
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (body !== undefined && body !== null) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let transport: Pick<typeof http, "request"> = http;
      let agent = httpAgent;
      if (url.protocol === "https:") {
        const secure = https();
        httpsAgent ??= new secure.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
        transport = secure;
        agent = httpsAgent;
      }
      const request = transport.request(url, { method: init?.method ?? "GET", headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("end", () => {
          signal?.removeEventListener("abort", abort);
          const status = response.statusCode ?? 502;
          const responseHeaders = new Headers();
          const raw = response.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.append(raw[i] as string, raw[i + 1] as string);
          const nullBody = status === 204 || status === 304 || init?.method === "HEAD";
          try {
            resolve(
              new Response(nullBody ? null : Buffer.concat(chunks), {
                status,
                statusText: response.statusMessage ?? "",
                headers: responseHeaders,
              }),
            );
          } catch (error) {
            reject(error); // a status fetch cannot represent
          }
        });
      });
      function fail(error: unknown) {
        signal?.removeEventListener("abort", abort);
        reject(error);
      }
      function abort() {
        const reason: unknown = signal?.reason;
        request.destroy(reason instanceof Error ? reason : new Error("This operation was aborted"));
        reject(reason);
      }
      signal?.addEventListener("abort", abort, { once: true });
      request.on("error", fail);
      request.end(body ?? undefined);
    });
  };
}
