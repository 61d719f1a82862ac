// Bundles one service into dist/main.js for the release image and `npm run start`.
// PGlite stays external: it loads its WASM and data files relative to its own package at run time.
import { build } from "esbuild";

const service = process.argv[2];
if (!service) {
  console.error("usage: node scripts/bundle.mjs <service>");
  process.exit(1);
}

await build({
  entryPoints: [`src/main.ts`],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  sourcemap: true,
  minifyWhitespace: true,
  legalComments: "linked",
  external: ["@electric-sql/pglite", "pg-native"],
  // ESM bundles of CommonJS dependencies still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "warning",
});
console.log(`${service}: dist/main.js`);
