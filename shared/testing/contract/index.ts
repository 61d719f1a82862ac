export * from "./compare.js";
export * from "./diff.js";
export * from "./examples.js";
export * from "./msw-handlers.js";
export * from "./recorder.js";
export * from "./replay.js";
export * from "./trpc-wire.js";
export * from "./verify.js";
