import { isBuiltin } from "node:module";

/**
 * The `require` an ESM bundle needs: the bundled CommonJS dependencies call it, and so do the built-ins the plugin
 * routes. Goes in esbuild's `banner.js`.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Built-ins a bundled CommonJS dependency gets on first use instead of at start. */
const LAZY_BUILTINS = new Set(["node:https"]);

/**
 * An esbuild plugin that decides how the bundle loads Node built-ins (with REQUIRE_BANNER as the bundle's banner):
 * - with require(), the way the bundled CommonJS dependencies load them. An ESM import of a built-in builds a
 *   namespace from every export, which reads node:http's lazy `WebSocket` export and so loads the whole fetch
 *   implementation (undici, http2, tls): about 4 MB of idle RSS for code the services never run;
 * - node:https, when a CommonJS dependency requires it, on first use: prom-client loads it (and with it TLS, about
 *   3 MB) for a Pushgateway client the services never create.
 * @returns {import("esbuild").Plugin}
 */
export function builtinsPlugin() {
  return {
    name: "builtins",
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        const path = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
        if (LAZY_BUILTINS.has(path) && args.kind === "require-call") return { path, namespace: "builtin-lazy" };
        return args.kind === "import-statement" ? { path, namespace: "builtin" } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: "js",
      }));
      // Property reads load the module; CommonJS callers only ever read properties of what require() returned.
      build.onLoad({ filter: /.*/, namespace: "builtin-lazy" }, (args) => ({
        contents: [
          "let loaded;",
          `const load = () => (loaded ??= process.getBuiltinModule(${JSON.stringify(args.path)}));`,
          "module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });",
        ].join("\n"),
        loader: "js",
      }));
    },
  };
}
