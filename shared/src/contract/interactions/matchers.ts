/**
 * Matchers let an interaction's expected body accept values the provider generates (ids, timestamps) while
 * still fixing their JSON type or shape. They are plain JSON data, so interactions stay data in git; the
 * `example` is what mocks answer and what a provider replay sends.
 */
export interface TypeMatcher<T> {
  readonly $match: "type";
  readonly example: T;
}
export interface RegexMatcher {
  readonly $match: "regex";
  readonly pattern: string;
  readonly example: string;
}
export interface DatetimeMatcher {
  readonly $match: "datetime";
  readonly example: string;
}

export type Matcher<T> = TypeMatcher<T> | (T extends string ? RegexMatcher | DatetimeMatcher : never);
export type AnyMatcher = TypeMatcher<unknown> | RegexMatcher | DatetimeMatcher;

/** A value as an interaction writes it: every field either a literal or a matcher for that field's type. */
export type Matchable<T> =
  | Matcher<T>
  | (T extends readonly (infer E)[]
      ? readonly Matchable<E>[]
      : T extends object
        ? { readonly [K in keyof T]: Matchable<T[K]> }
        : T);

export const match = {
  /** Any value of the example's JSON type (objects and arrays: the same shape, each leaf by type). */
  type: <T>(example: T): TypeMatcher<T> => ({ $match: "type", example }),
  /** A string the pattern matches (e.g. a message that must name a field). */
  regex: (pattern: RegExp, example: string): RegexMatcher => ({ $match: "regex", pattern: pattern.source, example }),
  /** An ISO 8601 date-time string in UTC. */
  datetime: (example: string): DatetimeMatcher => ({ $match: "datetime", example }),
};

export function isMatcher(value: unknown): value is AnyMatcher {
  return typeof value === "object" && value !== null && "$match" in value && "example" in value;
}

/** The concrete value an interaction stands for: every matcher replaced by its example. */
export function exampleOf<T>(value: Matchable<T>): T {
  return reify(value) as T;
}

function reify(value: unknown): unknown {
  if (isMatcher(value)) return value.example;
  if (Array.isArray(value)) return value.map(reify);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, reify(field)]));
  }
  return value;
}
