import { defineConfig } from "vitest/config";

const serviceTests = "{shared,invoice-app,payment-provider}/test";
// The suites create and drop many embedded PostgreSQL (WebAssembly) instances per process. On CPUs with memory
// protection keys V8's JIT page tracking can then abort the process ("Check failed: jit_page.has_value()"), a known
// V8 race; the test processes run without that protection.
const execArgv = ["--no-memory-protection-keys"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "services",
          execArgv,
          include: [`${serviceTests}/**/*.test.ts`],
          exclude: [`${serviceTests}/contract/**`, `${serviceTests}/faults/**`],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "contract",
          execArgv,
          include: [`${serviceTests}/contract/**/*.test.ts`],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "faults",
          execArgv,
          include: [`${serviceTests}/faults/**/*.test.ts`],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "platform",
          execArgv,
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
