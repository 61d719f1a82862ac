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

const handedOut = new Set<number>();

/**
 * A port that was free a moment ago, for services that must know each other's address up front.
 * Drawn below the kernel's ephemeral range: a port the kernel picked (`listen(0)`) can be taken again in the
 * seconds before the service binds it, as the source port of any outgoing connection (database pools, load
 * generators, other tests), and the service then fails with EADDRINUSE. Ports below that range are handed out
 * only by explicit binds. Checked on the wildcard address, which conflicts with a bind on any interface.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const { readFile } = await import("node:fs/promises");
  const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "32768 60999");
  const ephemeralStart = Number(range.trim().split(/\s+/)[0]) || 32768;
  const [low, high] = [Math.max(1024, ephemeralStart - 20_000), ephemeralStart];
  if (high - low < 1_000) return kernelPort(createServer);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

/** A port the kernel picks, for machines whose ephemeral range leaves no room below it. */
async function kernelPort(createServer: typeof import("node:net").createServer): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
