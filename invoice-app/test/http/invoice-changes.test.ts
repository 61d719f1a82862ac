import { Invoice } from "@invoicing/shared/contract";
import { testStores, trpc } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support.js";

/** Reads tRPC's server-sent events until `done` says so, then hangs up. */
async function collectEvents(url: string, done: (invoices: Invoice[]) => boolean, timeoutMs: number) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const seen: Invoice[] = [];
  try {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    while (reader !== undefined && !done(seen)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += value;
      const frames = buffer.split("\n\n");
      buffer = frames.pop() ?? "";
      for (const frame of frames) {
        const data = frame
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trim())
          .join("");
        const parsed = data === "" ? undefined : Invoice.safeParse(JSON.parse(data));
        if (parsed?.success) seen.push(parsed.data);
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}

describe.each(testStores())("invoices.onChange subscription (SSE) on $name", (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(store);
  });
  afterAll(() => stack?.stop());

  it("streams an invoice from its creation to paid, each change once", async () => {
    const since = new Date().toISOString();
    const url = `${stack.invoices.url}/trpc/invoices.onChange?input=${encodeURIComponent(JSON.stringify({ since }))}`;
    const events = collectEvents(url, (seen) => seen.some((i) => i.id === "S1" && i.status === "paid"), 30_000);
    await trpc(stack.invoices.url, "invoices.create", { id: "S1", amountMinor: 500, currency: "EUR" });
    await trpc(stack.invoices.url, "invoices.pay", { id: "S1" });
    const statuses = (await events).filter((invoice) => invoice.id === "S1").map((invoice) => invoice.status);
    expect(statuses).toContain("paid");
    expect(statuses.indexOf("unpaid")).toBeLessThan(statuses.indexOf("paid"));
    expect(new Set(statuses).size).toBe(statuses.length);
  });
});
