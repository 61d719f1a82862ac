import type { Plugin } from "esbuild";

export declare function builtinsPlugin(): Plugin;
