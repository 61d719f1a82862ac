export * from "./interaction.js";
export * from "./invoice-app.js";
export * from "./matchers.js";
export * from "./payment-provider.js";
