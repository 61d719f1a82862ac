// Bundles one service into dist/main.js (or the path given second) for the release image and `npm run start`.
// PGlite stays external: it loads its WASM and data files relative to its own package at run time.
import { build } from "esbuild";
import { builtinsPlugin, REQUIRE_BANNER } from "./build/builtins-plugin.mjs";

const [service, outfile = "dist/main.js"] = process.argv.slice(2);
if (!service) {
  console.error("usage: node scripts/bundle.mjs <service> [outfile]");
  process.exit(1);
}

await build({
  entryPoints: [`src/main.ts`],
  outfile,
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  sourcemap: true,
  minifyWhitespace: true,
  legalComments: "linked",
  external: ["@electric-sql/pglite", "pg-native"],
  plugins: [builtinsPlugin()],
  banner: { js: REQUIRE_BANNER },
  logLevel: "warning",
});
console.log(`${service}: ${outfile}`);
