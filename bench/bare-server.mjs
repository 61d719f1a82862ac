// The reference for `npm run bench`: a bare node:http server that answers each path with fixed bytes read from a
// file (the very bytes invoice-app sends for that path), with the same content type. No routing beyond one map
// lookup, no metrics.
// Usage: node bench/bare-server.mjs <port> <path>=<body file> <content type> [<path>=<body file> <content type> ...]
import { readFileSync } from "node:fs";
import http from "node:http";

const [port, ...specs] = process.argv.slice(2);
const responses = new Map();
for (let i = 0; i + 1 < specs.length; i += 2) {
  const [path, file] = (specs[i] ?? "").split("=");
  const body = readFileSync(file ?? "");
  responses.set(path, { headers: { "content-type": specs[i + 1], "content-length": body.length }, body });
}
const server = http.createServer((req, res) => {
  const response = responses.get(req.url);
  if (response === undefined) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, response.headers);
  res.end(response.body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
