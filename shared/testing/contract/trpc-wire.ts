import * as z from "zod";

/** How tRPC v11 answers one (unbatched) call over HTTP: the envelope around a procedure's output or error. */
export const TrpcResultEnvelope = z.object({ result: z.object({ data: z.unknown() }) });

export const TrpcErrorEnvelope = z.object({
  error: z.object({
    message: z.string(),
    code: z.number().int(),
    data: z.object({ code: z.string(), httpStatus: z.number().int(), path: z.string().optional() }),
  }),
});
