import { defineConfig } from "vitest/config";

const serviceTests = "{shared,invoice-app,payment-provider}/test";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "services",
          include: [`${serviceTests}/**/*.test.ts`],
          exclude: [`${serviceTests}/contract/**`, `${serviceTests}/faults/**`],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "contract",
          include: [`${serviceTests}/contract/**/*.test.ts`],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "faults",
          include: [`${serviceTests}/faults/**/*.test.ts`],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "platform",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
