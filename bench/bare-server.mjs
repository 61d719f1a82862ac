// The reference for `npm run bench`: a bare node:http server that answers every request with the same JSON bytes
// invoice-app serves for GET /invoices (read from a file), with the same content type. No routing, no metrics.
// Usage: node bench/bare-server.mjs <port> <body.json>
import { readFileSync } from "node:fs";
import http from "node:http";

const [port, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile ?? "");
const headers = { "content-type": "application/json; charset=utf-8", "content-length": body.length };
const server = http.createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
