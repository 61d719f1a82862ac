import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

export const REQUEST_ID_HEADER = "x-request-id";

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// New ids are a random per-process prefix (96 bits) and a counter: unique across replicas and restarts like a UUID,
// at a fraction of the cost of drawing random bytes for every request.
const ID_PREFIX = randomBytes(12).toString("hex");
let nextId = 0;

/** Keeps a caller's id when it is safe to log and forward; otherwise starts a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && ACCEPTABLE_REQUEST_ID.test(value)) return value;
  nextId++;
  return `${ID_PREFIX}-${nextId.toString(36)}`;
}
