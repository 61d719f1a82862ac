// release.yml: tag-triggered, least privilege, immutable tags only, digests pinned into the
// prod overlay with `kustomize edit set image`. The shell steps are executed here with stand-ins.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions ${{ }} expressions and shell ${VAR} are literal text here
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isMap, isSeq, parseDocument, parse as parseYaml } from "yaml";
import {
  asObject,
  asString,
  bash,
  describeStep,
  isObject,
  loadWorkflow,
  readText,
  repoRoot,
  type Step,
  stepsOf,
  stringArray,
} from "./lib.js";

const release = loadWorkflow("release.yml");
const services = ["invoice-app", "payment-provider"] as const;
const scratch = mkdtempSync(join(tmpdir(), "ci-release-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function step(job: string, predicate: (step: Step) => boolean, what: string): Step {
  const found = stepsOf(release, job).find(predicate);
  if (!found) throw new Error(`release.yml jobs.${job}: no step ${what}`);
  return found;
}

function script(found: Step): string {
  if (found.run === undefined) throw new Error(`${describeStep(found)} has no run script`);
  return found.run;
}

const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;

describe("release.yml trigger and permissions", () => {
  it("runs only on version tags", () => {
    const on = asObject(release.doc.on, "on");
    expect(Object.keys(on)).toEqual(["push"]);
    const push = asObject(on.push, "on.push");
    expect(Object.keys(push)).toEqual(["tags"]);
    expect(stringArray(push.tags)).toEqual(["v*"]);
  });

  it("grants nothing by default and each job only what it uses", () => {
    expect(release.doc.permissions).toEqual({});
    expect(release.jobs.get("images")?.permissions).toEqual({ contents: "read", packages: "write" });
    expect(release.jobs.get("pin")?.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    // An OIDC token is only justified by an attestation or a cloud login step.
    const needsOidc = release.steps.some((s) => /attest|configure-aws|google-github-actions\/auth/.test(s.uses ?? ""));
    if (!needsOidc) expect(release.text).not.toMatch(/id-token:/);
  });

  it("never cancels a release half-way", () => {
    expect(asObject(release.doc.concurrency, "concurrency")["cancel-in-progress"]).toBe(false);
  });
});

describe("release.yml registry configuration", () => {
  const config = step("images", (s) => s.id === "config", "with id config");
  const env = asObject(config.env, "config env");

  it("reads the registry from the repository variable IMAGE_REGISTRY, with no default", () => {
    expect(env.IMAGE_REGISTRY).toBe("${{ vars.IMAGE_REGISTRY }}");
    expect(release.text).not.toMatch(/vars\.IMAGE_REGISTRY\s*\|\|/);
  });

  function runConfig(registry: string): { status: number | null; output: string; outputs: string } {
    const outputFile = join(scratch, `output-${Math.random().toString(36).slice(2)}`);
    writeFileSync(outputFile, "");
    const result = bash(script(config), scratch, {
      PATH: process.env.PATH,
      IMAGE_REGISTRY: registry,
      GITHUB_OUTPUT: outputFile,
    });
    return { ...result, outputs: readFileSync(outputFile, "utf8") };
  }

  it("fails clearly when IMAGE_REGISTRY is unset", () => {
    const result = runConfig("");
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/::error title=IMAGE_REGISTRY is not set::/);
    expect(result.outputs).toBe("");
  });

  it.each(["GHCR.io/Acme/invoicing", "ghcr.io/acme/invoicing:v1", "ghcr.io/acme invoicing", "https://ghcr.io/acme"])(
    "rejects the malformed registry %j",
    (registry) => {
      const result = runConfig(registry);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/::error title=IMAGE_REGISTRY is malformed::/);
    },
  );

  it.each([
    ["ghcr.io/acme/invoicing", "ghcr.io"],
    ["ghcr.io/acme/invoicing/", "ghcr.io"],
    ["registry.example.com:5000/team", "registry.example.com:5000"],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
  ])("accepts %j and logs in to %j", (registry, host) => {
    const result = runConfig(registry);
    expect(result.status, result.output).toBe(0);
    expect(result.outputs).toBe(`registry=${registry.replace(/\/$/, "")}\nhost=${host}\n`);
  });

  it("logs in with the login action, GITHUB_TOKEN unless REGISTRY_TOKEN is set", () => {
    const login = step("images", (s) => s.uses?.startsWith("docker/login-action@") === true, "docker/login-action");
    expect(login.with).toEqual({
      registry: "${{ steps.config.outputs.host }}",
      username: "${{ vars.REGISTRY_USERNAME || github.actor }}",
      password: "${{ secrets.REGISTRY_TOKEN || secrets.GITHUB_TOKEN }}",
    });
  });
});

describe.each(services)("release.yml image %s", (service) => {
  const meta = step("images", (s) => s.id === `meta-${service}`, `with id meta-${service}`);
  const build = step("images", (s) => s.id === service, `with id ${service}`);

  it("is tagged with the git tag and the commit SHA, never latest", () => {
    expect(meta.uses).toMatch(/^docker\/metadata-action@/);
    expect(meta.with.images).toBe(`\${{ steps.config.outputs.registry }}/${service}`);
    expect(String(meta.with.flavor).trim()).toBe("latest=false");
    const tags = String(meta.with.tags).trim().split("\n");
    expect(tags).toEqual(["type=ref,event=tag", "type=sha,format=long"]);
  });

  it("builds the release target of its Dockerfile with Buildx, cache, provenance and SBOM, and pushes", () => {
    expect(build.uses).toMatch(/^docker\/build-push-action@/);
    expect(build.with).toMatchObject({
      context: ".",
      file: `${service}/Dockerfile`,
      target: "release",
      push: true,
      tags: `\${{ steps.meta-${service}.outputs.tags }}`,
      labels: `\${{ steps.meta-${service}.outputs.labels }}`,
      "cache-from": `type=gha,scope=${service}`,
      "cache-to": `type=gha,scope=${service},mode=max`,
      provenance: "mode=max",
      sbom: true,
    });
    const buildx = release.steps.findIndex((s) => s.uses?.startsWith("docker/setup-buildx-action@") === true);
    expect(buildx).toBeGreaterThanOrEqual(0);
  });

  it("builds a Dockerfile that exists and has a release stage", () => {
    const dockerfile = join(repoRoot, service, "Dockerfile");
    expect(existsSync(dockerfile), `release.yml builds ${service}/Dockerfile, which does not exist`).toBe(true);
    expect(readText(dockerfile)).toMatch(/^FROM\s+\S+\s+AS\s+release\s*$/im);
  });

  it("hands its digest to the pin job", () => {
    const outputs = asObject(release.jobs.get("images")?.outputs, "jobs.images.outputs");
    expect(outputs[`${service}-digest`]).toBe(`\${{ steps.${service}.outputs.digest }}`);
  });

  it("never names a latest tag anywhere in the workflow's inputs", () => {
    for (const s of release.steps) expect(JSON.stringify(s.with), describeStep(s)).not.toMatch(/:latest\b|latest=true/);
  });
});

describe("release.yml pins the prod overlay", () => {
  const pinJob = asObject(release.jobs.get("pin"), "jobs.pin");
  const pinEnv = asObject(pinJob.env, "jobs.pin.env");
  const pin = step(
    "pin",
    (s) => s.run?.includes("kustomize edit set image") === true,
    "running kustomize edit set image",
  );

  it("runs after the images are pushed, on the default branch", () => {
    expect(pinJob.needs).toBe("images");
    const checkout = step("pin", (s) => s.uses?.startsWith("actions/checkout@") === true, "actions/checkout");
    expect(checkout.with.ref).toBe("${{ github.event.repository.default_branch }}");
    expect(pinEnv).toMatchObject({
      REGISTRY: "${{ needs.images.outputs.registry }}",
      INVOICE_APP_DIGEST: "${{ needs.images.outputs.invoice-app-digest }}",
      PAYMENT_PROVIDER_DIGEST: "${{ needs.images.outputs.payment-provider-digest }}",
    });
  });

  it("uses kustomize edit set image with name=registry/name@digest for both images", () => {
    expect(pin.workingDirectory).toBe("kustomize/overlays/prod");
    const lines = script(pin)
      .split("\n")
      .filter((line) => line.includes("kustomize edit set image"));
    expect(lines).toEqual([
      'kustomize edit set image "invoice-app=${REGISTRY}/invoice-app@${INVOICE_APP_DIGEST}"',
      'kustomize edit set image "payment-provider=${REGISTRY}/payment-provider@${PAYMENT_PROVIDER_DIGEST}"',
    ]);
  });

  it("edits image entries the prod overlay actually has", () => {
    const kustomization = join(repoRoot, "kustomize", "overlays", "prod", "kustomization.yaml");
    expect(existsSync(kustomization), "kustomize/overlays/prod/kustomization.yaml does not exist yet").toBe(true);
    const doc: unknown = parseYaml(readText(kustomization));
    const images = isObject(doc) && Array.isArray(doc.images) ? doc.images : [];
    const names = images.flatMap((image: unknown) => (isObject(image) ? [image.name] : []));
    expect(names).toEqual(expect.arrayContaining([...services]));
  });

  // Executes the workflow's own guard scripts with a stand-in `kustomize` on PATH.
  function withFakeKustomize(renderedManifest: string): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(scratch, "bin-"));
    const fixture = join(dir, "rendered.yaml");
    writeFileSync(fixture, renderedManifest);
    const fake = join(dir, "kustomize");
    writeFileSync(fake, `#!/bin/sh\ncase "$1" in\n  build) cat '${fixture}' ;;\n  version) echo v5.6.0 ;;\nesac\n`);
    chmodSync(fake, 0o755);
    const runnerTemp = join(dir, "tmp");
    mkdirSync(runnerTemp);
    return {
      PATH: `${dir}:${process.env.PATH ?? ""}`,
      RUNNER_TEMP: runnerTemp,
      REGISTRY: "ghcr.io/acme/invoicing",
      INVOICE_APP_DIGEST: digestA,
      PAYMENT_PROVIDER_DIGEST: digestB,
      RELEASE_TAG: "v1.2.3",
      MANIFESTS: "prod-manifests-v1.2.3.yaml",
    };
  }

  const checkDigests = step("pin", (s) => s.name === "Check the digests", "named Check the digests");
  const render = step("pin", (s) => s.name === "Render the prod overlay", "named Render the prod overlay");

  it("refuses an empty or malformed digest", () => {
    expect(bash(script(checkDigests), scratch, withFakeKustomize("")).status).toBe(0);
    for (const bad of ["", "sha256:abc", "latest", `${digestA}\nsha256:oops`, ` ${digestA}`]) {
      const env = { ...withFakeKustomize(""), PAYMENT_PROVIDER_DIGEST: bad };
      expect(bash(script(checkDigests), scratch, env).status, JSON.stringify(bad)).toBe(1);
    }
  });

  const pinned = (invoice: string, payment: string): string =>
    `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: ${invoice}\n---\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: ${payment}\n`;

  it("accepts rendered manifests that use both pushed digests", () => {
    const env = withFakeKustomize(
      pinned(`ghcr.io/acme/invoicing/invoice-app@${digestA}`, `ghcr.io/acme/invoicing/payment-provider@${digestB}`),
    );
    const result = bash(script(render), scratch, env);
    expect(result.status, result.output).toBe(0);
    expect(readFileSync(join(String(env.RUNNER_TEMP), "prod-manifests-v1.2.3.yaml"), "utf8")).toContain(digestA);
  });

  it.each([
    [
      "an unpinned image",
      pinned("ghcr.io/acme/invoicing/invoice-app:v1.2.3", `ghcr.io/acme/invoicing/payment-provider@${digestB}`),
    ],
    [
      "another digest",
      pinned(`ghcr.io/acme/invoicing/invoice-app@${digestB}`, `ghcr.io/acme/invoicing/payment-provider@${digestB}`),
    ],
    [
      "a latest image next to the pinned ones",
      `${pinned(`ghcr.io/acme/invoicing/invoice-app@${digestA}`, `ghcr.io/acme/invoicing/payment-provider@${digestB}`)}---\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - image: busybox:latest\n`,
    ],
  ])("rejects rendered manifests with %s", (_label, manifest) => {
    const result = bash(script(render), scratch, withFakeKustomize(manifest));
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/::error::/);
  });

  // End to end on a copy of the real overlays: pin, render with the real kustomize (or kubectl's),
  // and run the workflow's render guard on the result.
  const onPath = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
  const haveKustomize = onPath("kustomize");
  it.runIf(haveKustomize || onPath("kubectl"))("pins and renders the real prod overlay", () => {
    const work = mkdtempSync(join(scratch, "overlay-"));
    cpSync(join(repoRoot, "kustomize"), join(work, "kustomize"), { recursive: true });
    const env: NodeJS.ProcessEnv = { ...withFakeKustomize(""), REGISTRY: "registry.example.com:5000/acme" };
    const overlay = join(work, "kustomize", "overlays", "prod");
    if (haveKustomize) {
      env.PATH = process.env.PATH;
      const result = bash(script(pin), overlay, env);
      expect(result.status, result.output).toBe(0);
    } else {
      // What `kustomize edit set image name=newName@digest` writes: the entry replaced by name, newName, digest.
      const file = join(overlay, "kustomization.yaml");
      const doc = parseDocument(readText(file));
      const images = doc.get("images");
      expect(isSeq(images)).toBe(true);
      const digests: Record<string, string> = { "invoice-app": digestA, "payment-provider": digestB };
      if (isSeq(images)) {
        for (const item of images.items) {
          if (!isMap(item)) continue;
          const name = String(item.get("name"));
          const digest = digests[name];
          if (digest === undefined) continue;
          item.set("newName", `${String(env.REGISTRY)}/${name}`);
          item.delete("newTag");
          item.set("digest", digest);
        }
      }
      writeFileSync(file, doc.toString());
      const shim = join(String(env.PATH).split(":")[0] ?? "", "kustomize");
      writeFileSync(
        shim,
        '#!/bin/sh\ncase "$1" in\n  build) exec kubectl kustomize "$2" ;;\n  version) kubectl version --client ;;\nesac\n',
      );
    }
    const result = bash(script(render), work, env);
    expect(result.status, result.output).toBe(0);
    const rendered = readFileSync(join(String(env.RUNNER_TEMP), String(env.MANIFESTS)), "utf8");
    expect(rendered).toContain(`image: registry.example.com:5000/acme/invoice-app@${digestA}`);
    expect(rendered).toContain(`image: registry.example.com:5000/acme/payment-provider@${digestB}`);
    expect(rendered).not.toMatch(/image: \S*(invoice-app|payment-provider):/);
  });

  it("attaches the rendered manifests to the release and opens a pull request with the pin", () => {
    const attach = step("pin", (s) => s.run?.includes("gh release") === true, "running gh release");
    expect(script(attach)).toMatch(/gh release create "\$\{RELEASE_TAG\}" "\$\{RUNNER_TEMP\}\/\$\{MANIFESTS\}"/);
    expect(script(attach)).toMatch(/--verify-tag/);
    const pr = step(
      "pin",
      (s) => s.uses?.startsWith("peter-evans/create-pull-request@") === true,
      "create-pull-request",
    );
    expect(pr.with["add-paths"]).toBe("kustomize/overlays/prod/kustomization.yaml");
    expect(asString(pr.with.branch, "branch")).toContain("${{ github.ref_name }}");
  });
});
