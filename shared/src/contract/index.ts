export * from "./events.js";
export * from "./interactions/index.js";
export * from "./invoices.js";
export * from "./money.js";
export * from "./payments.js";
