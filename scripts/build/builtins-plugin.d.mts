import type { Plugin } from "esbuild";

export declare const REQUIRE_BANNER: string;
export declare function builtinsPlugin(): Plugin;
