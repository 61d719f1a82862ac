import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpFetch } from "../src/platform/http-client.js";

const servers: (http.Server | https.Server)[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen<T extends http.Server | https.Server>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const echo: http.RequestListener = (req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on("end", () => {
    res.writeHead(201, { "content-type": "application/json", "x-seen-method": req.method ?? "" });
    res.end(JSON.stringify({ body, contentType: req.headers["content-type"] }));
  });
};

describe("createHttpFetch", () => {
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "http-client-tls-"));
    try {
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
          ...["-subj", "/CN=127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
        ],
        { stdio: "ignore" },
      );
      tls = { key: await readFile(path.join(dir, "key.pem")), cert: await readFile(path.join(dir, "cert.pem")) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers a plain-HTTP call with a standard Response: status, headers and body", async () => {
    const host = await listen(http.createServer(echo));
    const response = await createHttpFetch()(`http://${host}/x`, {
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-seen-method")).toBe("POST");
    expect(await response.json()).toEqual({ body: '{"a":1}', contentType: "application/json" });
  });

  it("calls an https URL over TLS (and so refuses a certificate nobody vouches for)", async () => {
    let reached = false;
    const host = await listen(
      https.createServer(tls, (req, res) => {
        reached = true;
        echo(req, res);
      }),
    );
    const failure = await createHttpFetch()(`https://${host}/x`).then(
      () => undefined,
      (error: unknown) => error as NodeJS.ErrnoException,
    );
    expect(failure?.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(reached).toBe(false);
  });
});
