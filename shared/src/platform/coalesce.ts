import DataLoader from "dataloader";

/**
 * Answers each input in order: a value, or an Error that fails that input's call alone.
 */
export type BatchRun<In, Out> = (inputs: readonly In[]) => Promise<readonly (Out | Error)[]>;

export interface CoalesceOptions {
  maxBatchSize: number;
  /**
   * Whether a run of several inputs that threw this error runs again input by input (default: always). Say no for
   * failures that are not about the inputs (the database is unreachable or overloaded): rerunning each alone would
   * only multiply the load.
   */
  splitOn?(error: unknown): boolean;
}

/**
 * Turns a batch operation into a single-input call that gathers every call made in one turn of the event loop
 * (e.g. all requests read in one poll of the sockets) into one run, so concurrent requests share one statement and
 * one commit instead of paying for their own. When a run of several inputs throws (and `splitOn` agrees), each
 * input runs again alone: one input the database refuses fails only its own call.
 */
export function coalesce<In, Out>(run: BatchRun<In, Out>, options: CoalesceOptions): (input: In) => Promise<Out> {
  const splitOn = options.splitOn ?? (() => true);
  const runAlone = (input: In): Promise<Out | Error> =>
    run([input]).then(
      ([result]) => result ?? new Error("batch run returned no result"),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  const loader = new DataLoader<In, Out>(
    async (inputs) => {
      if (inputs.length === 1) return run(inputs);
      try {
        return await run(inputs);
      } catch (error) {
        if (!splitOn(error)) throw error;
        return Promise.all(inputs.map(runAlone));
      }
    },
    // After the I/O callbacks of this turn (setImmediate), not after the current one (DataLoader's default): calls
    // from requests read in one poll of the sockets share a run.
    { cache: false, maxBatchSize: options.maxBatchSize, batchScheduleFn: (callback) => setImmediate(callback) },
  );
  return (input) => loader.load(input);
}
