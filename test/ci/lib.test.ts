// The shell parsing the parity checks rely on: if it misses a call, the checks prove nothing.
import { describe, expect, it } from "vitest";
import { makefileTargets, makeTargets, npmScriptCalls, usesLines } from "./lib.js";

describe("npmScriptCalls", () => {
  it("finds npm run, npm test and their aliases, wherever the command sits", () => {
    const script = [
      "#!/usr/bin/env bash",
      "set -euo pipefail",
      "# npm run commented-out",
      "npm ci",
      "npm run lint && npm run typecheck",
      'TEST_DATABASE_URL="postgres://x" npm test',
      "step containers npm run --silent test:containers",
      "npm run-script build; npm t",
      "npm --prefix . run test:platform -- shellcheck",
      "npm run test:contract \\",
      "  -- --reporter=dot",
      'echo "$(npm run -s bench)"',
      "npx vitest run",
      "npm install",
    ].join("\n");
    expect(npmScriptCalls(script).map((call) => [call.script, ...call.passThrough])).toEqual([
      ["lint"],
      ["typecheck"],
      ["test"],
      ["test:containers"],
      ["build"],
      ["test"],
      ["test:platform", "shellcheck"],
      ["test:contract", "--reporter=dot"],
      ["bench"],
    ]);
  });
});

describe("makeTargets / makefileTargets", () => {
  it("finds the targets on make command lines", () => {
    expect(makeTargets("make render\nmake -C . test V=1\nsudo make doctor # check\n")).toEqual([
      "render",
      "test",
      "doctor",
    ]);
  });

  it("finds the targets a Makefile defines", () => {
    const makefile =
      ".PHONY: render test\nVAR := 1\nrender: ## render\n\tkubectl kustomize x\ntest e2e: render\n%.o: %.c\n";
    expect([...makefileTargets(makefile)].sort()).toEqual(["e2e", "render", "test"]);
  });
});

describe("usesLines", () => {
  it("reads the reference and its version comment", () => {
    const text =
      "    steps:\n      - uses: actions/checkout@0123456789012345678901234567890123456789 # v5.0.0\n        uses: ./local\n";
    expect(usesLines(text)).toEqual([
      { ref: "actions/checkout@0123456789012345678901234567890123456789", comment: "v5.0.0", line: 2 },
      { ref: "./local", comment: undefined, line: 3 },
    ]);
  });
});
