export * from "./bad-input.js";
export * from "./contract/index.js";
export * from "./databases.js";
export * from "./http.js";
export * from "./service.js";
