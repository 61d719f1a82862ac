export * from "./databases.js";
export * from "./bad-input.js";
export * from "./http.js";
