import { initTRPC } from "@trpc/server";
import * as z from "zod";
import { describeIssues } from "./validation.js";

/** One tRPC instance shape for every service: input errors carry a readable message that names the fields. */
export function createTrpc() {
  return initTRPC.create({
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      if (error.code === "BAD_REQUEST" && cause instanceof z.ZodError) {
        return { ...shape, message: describeIssues(cause.issues, "input"), data: { ...shape.data, stack: undefined } };
      }
      // Internal failures stay in the server's logs; clients learn only that it was not their fault.
      if (error.code === "INTERNAL_SERVER_ERROR") {
        return { ...shape, message: "internal error", data: { ...shape.data, stack: undefined } };
      }
      return { ...shape, data: { ...shape.data, stack: undefined } };
    },
  });
}
