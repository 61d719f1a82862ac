/** Small helpers for tests that talk to real servers over HTTP. */
export interface JsonResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function request(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: string | undefined; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? "GET",
    headers: init.headers ?? (init.body === undefined ? {} : { "content-type": "application/json" }),
    ...(init.body === undefined ? {} : { body: init.body }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export const postJson = (baseUrl: string, path: string, body: unknown) =>
  request(baseUrl, path, { method: "POST", body: JSON.stringify(body) });

/** Calls a tRPC procedure over plain HTTP the way any client would (no batching). */
export function trpc(baseUrl: string, procedure: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
  if (kind === "query") {
    const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return request(baseUrl, `/trpc/${procedure}${query}`);
  }
  return request(baseUrl, `/trpc/${procedure}`, {
    method: "POST",
    body: input === undefined ? undefined : JSON.stringify(input),
    headers: { "content-type": "application/json" },
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 100, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A loopback port that was free a moment ago, for services that must know each other's address up front. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
