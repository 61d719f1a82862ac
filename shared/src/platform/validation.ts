import type * as z from "zod";
import { HttpError } from "./http-server.js";

type Issue = { path: readonly PropertyKey[]; message: string };

/** "Value: must be greater than zero; Currency: is not a known ISO 4217 currency code" */
export function describeIssues(issues: readonly Issue[], root = "body"): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length === 0 ? root : issue.path.map(String).join(".")}: ${issue.message}`)
    .join("; ");
}

/** Validates a parsed REST body; failures become a 400 that names each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, describeIssues(result.error.issues));
  return result.data;
}
