// Cross-checks between skaffold.yaml and the files it points at, with the real tools where there is one:
// kustomize (kubectl kustomize) renders the overlays, the Dockerfiles are parsed into stages, sync globs are
// expanded against the repository. Skaffold itself cannot run here; these checks stand in for `skaffold dev`.
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Artifact,
  allArtifacts,
  containersOf,
  contextSources,
  effectiveStage,
  globToRegExp,
  imageDestination,
  isDockerignored,
  isInside,
  isObject,
  listFiles,
  loadSkaffold,
  parseDockerfile,
  parseDockerignore,
  parseImage,
  renderOverlay,
  repoRoot,
  type Stage,
  stageClosure,
  staticPrefix,
  syncDestination,
  userPart,
} from "./lib.js";

const config = loadSkaffold();
const LOCAL = "kustomize/overlays/local";
const PROD = "kustomize/overlays/prod";
const SERVICES = ["invoice-app", "payment-provider"];

function dockerfileOf(artifact: Artifact): readonly Stage[] {
  return parseDockerfile(readFileSync(join(repoRoot, artifact.context, artifact.dockerfile), "utf8"));
}

function contextFiles(artifact: Artifact): readonly string[] {
  return listFiles(join(repoRoot, artifact.context));
}

function label(artifact: Artifact): string {
  return `${artifact.where}: ${artifact.image}`;
}

function profile(name: string) {
  const found = config.profiles.find((p) => p.name === name);
  if (!found) throw new Error(`skaffold.yaml has no profile '${name}'`);
  return found;
}

describe("skaffold.yaml artifacts", () => {
  it("builds exactly the two services, from the repository root, with their own Dockerfiles", () => {
    expect(config.artifacts.map((a) => a.image).sort()).toEqual(SERVICES);
    for (const artifact of config.artifacts) {
      expect(artifact.context, label(artifact)).toBe(".");
      expect(artifact.dockerfile, label(artifact)).toBe(`${artifact.image}/Dockerfile`);
      expect(artifact.target, label(artifact)).toBe("dev");
    }
  });

  it("every profile that restates the artifact list keeps every service (whole lists, no index patches)", () => {
    for (const p of config.profiles) {
      if (p.artifacts) expect(p.artifacts.map((a) => a.image).sort(), p.name).toEqual(SERVICES);
      const patches = Array.isArray(p.raw.patches) ? p.raw.patches : [];
      for (const patch of patches) {
        const path = isObject(patch) && typeof patch.path === "string" ? patch.path : "";
        expect(path, `profile ${p.name} patches an artifact by index`).not.toMatch(/artifacts\/\d+/);
      }
    }
  });

  it.each(allArtifacts(config).map((a) => [label(a), a] as const))(
    "%s: Dockerfile exists and defines the docker target",
    (_name, artifact) => {
      const dockerfile = join(repoRoot, artifact.context, artifact.dockerfile);
      expect(existsSync(dockerfile), `${dockerfile} is missing`).toBe(true);
      const stages = dockerfileOf(artifact).map((s) => s.name);
      expect(artifact.target, `${label(artifact)} must name a target`).toBeDefined();
      expect(stages, `FROM ... AS ${artifact.target ?? "?"} in ${artifact.dockerfile}`).toContain(artifact.target);
    },
  );

  it.each(allArtifacts(config).map((a) => [`${label(a)} (${a.target ?? "last stage"})`, a] as const))(
    "%s: every file the build copies from the context exists and is not excluded by .dockerignore",
    (_name, artifact) => {
      const context = join(repoRoot, artifact.context);
      const ignoreFile = join(context, ".dockerignore");
      const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, "utf8")) : [];
      const files = contextFiles(artifact);
      const paths = new Set([
        ...files,
        ...files.flatMap((f) =>
          f
            .split("/")
            .slice(0, -1)
            .map((_, i, parts) => parts.slice(0, i + 1).join("/")),
        ),
      ]);
      const problems: string[] = [];
      for (const stage of stageClosure(dockerfileOf(artifact), artifact.target)) {
        for (const source of contextSources(stage)) {
          const normalized = posix.normalize(source).replace(/^\.\/|\/$/g, "");
          if (normalized === "." || normalized === "") continue;
          const matches = /[*?[]/.test(normalized)
            ? [...paths].filter((p) => globToRegExp(normalized).test(p))
            : paths.has(normalized)
              ? [normalized]
              : [];
          const sent = matches.filter((m) => !isDockerignored(m, rules));
          if (matches.length === 0) problems.push(`${stage.name ?? stage.index}: COPY ${source}: no such path`);
          else if (sent.length === 0)
            problems.push(`${stage.name ?? stage.index}: COPY ${source}: excluded by .dockerignore`);
        }
      }
      expect(problems, `${artifact.dockerfile} target ${artifact.target ?? ""}`).toEqual([]);
    },
  );

  it("the .dockerignore matcher follows Docker's rules (guards the check above)", () => {
    const rules = parseDockerignore("**/node_modules\nscripts\n!scripts/keep.mjs\ndocs\n");
    expect(isDockerignored("node_modules/x/index.js", rules)).toBe(true);
    expect(isDockerignored("shared/node_modules/x", rules)).toBe(true);
    expect(isDockerignored("scripts/bundle.mjs", rules)).toBe(true);
    expect(isDockerignored("scripts/keep.mjs", rules)).toBe(false);
    expect(isDockerignored("shared/docs/readme.md", rules)).toBe(false);
    expect(isDockerignored("shared/src/index.ts", rules)).toBe(false);
  });

  it("BuildKit is on wherever a Dockerfile needs it (RUN --mount)", () => {
    const needsBuildkit = allArtifacts(config).some((a) =>
      dockerfileOf(a).some((stage) =>
        stage.instructions.some((i) => i.keyword === "RUN" && i.args.includes("--mount=")),
      ),
    );
    const builds = [config.raw.build, ...config.profiles.map((p) => p.raw.build)].filter(isObject);
    for (const build of builds) {
      const local = isObject(build.local) ? build.local : {};
      if (needsBuildkit) expect(local.useBuildkit, JSON.stringify(build).slice(0, 120)).toBe(true);
    }
  });

  it("only images with a shell and tar (the dev target) are synced; release images never are", () => {
    for (const artifact of allArtifacts(config)) {
      if (artifact.sync.length > 0) expect(artifact.target, label(artifact)).toBe("dev");
      if (artifact.target === "release") expect(artifact.sync, label(artifact)).toEqual([]);
    }
  });
});

describe("skaffold.yaml sync rules", () => {
  const synced = allArtifacts(config).filter((a) => a.sync.length > 0);

  it("sync each service's own sources and shared/ (so edits to the contract package hot-reload too)", () => {
    for (const image of SERVICES) {
      const artifact = config.artifacts.find((a) => a.image === image);
      expect(artifact?.sync.map((r) => r.src).sort(), image).toEqual([`${image}/src/**/*.ts`, "shared/src/**/*.ts"]);
    }
  });

  it.each(synced.flatMap((a) => a.sync.map((rule) => [`${label(a)} ${rule.src}`, a, rule] as const)))(
    "%s: matches files, lands at the same path under WORKDIR, writable by the image's user",
    (_name, artifact, rule) => {
      const files = contextFiles(artifact).filter((f) => globToRegExp(rule.src).test(f));
      expect(files.length, `${rule.src} matches no file in ${artifact.context}`).toBeGreaterThan(0);

      const image = effectiveStage(dockerfileOf(artifact), artifact.target);
      expect(image.workdir, `${artifact.dockerfile} target ${artifact.target ?? ""} has no WORKDIR`).not.toBe("/");
      const user = image.user === undefined ? "0" : userPart(image.user);

      for (const file of files) {
        const synced = syncDestination(rule, file, image.workdir);
        expect(isInside(synced, image.workdir), `${file} -> ${synced} is outside WORKDIR ${image.workdir}`).toBe(true);
        // The dev image keeps the repository layout under WORKDIR, so a synced file replaces its baked-in copy.
        expect(synced, `${file} must sync to WORKDIR/<same relative path>`).toBe(posix.join(image.workdir, file));
        const copy = image.copies.find((c) => imageDestination(c, file) === synced);
        expect(
          copy,
          `no COPY in ${artifact.dockerfile} (${artifact.target ?? ""}) puts ${file} at ${synced}`,
        ).toBeDefined();
        // Skaffold extracts the tar as the container's user: it must own what it overwrites.
        expect(copy?.chown && userPart(copy.chown), `${file}: COPY --chown must match USER ${user}`).toBe(user);
      }
    },
  );

  it("the glob matcher follows doublestar semantics (guards the checks above)", () => {
    const ts = globToRegExp("invoice-app/src/**/*.ts");
    expect(ts.test("invoice-app/src/main.ts")).toBe(true);
    expect(ts.test("invoice-app/src/http/routes.ts")).toBe(true);
    expect(ts.test("invoice-app/src/main.tsx")).toBe(false);
    expect(ts.test("invoice-app/test/main.ts")).toBe(false);
    expect(ts.test("xinvoice-app/src/main.ts")).toBe(false);
    expect(globToRegExp("src/*.{ts,js}").test("src/a.js")).toBe(true);
    expect(globToRegExp("src/*.ts").test("src/a/b.ts")).toBe(false);
    expect(staticPrefix("shared/src/**/*.ts")).toBe("shared/src/");
    expect(
      syncDestination({ src: "content/en/**/*.md", dest: "content", strip: "content/en/" }, "content/en/a/b.md", "/w"),
    ).toBe("/w/content/a/b.md");
  });
});

describe("skaffold.yaml manifests and deploy", () => {
  it("renders kustomize/overlays/local by default and the paths of every profile exist", () => {
    expect(config.kustomizePaths).toEqual([LOCAL]);
    const all = [...config.kustomizePaths, ...config.profiles.flatMap((p) => p.kustomizePaths ?? [])];
    for (const path of all) {
      expect(existsSync(join(repoRoot, path, "kustomization.yaml")), `${path}/kustomization.yaml`).toBe(true);
    }
  });

  it("deploys with kubectl, waits for the rollout with a deadline and is pinned to the minikube context", () => {
    const deploy = isObject(config.raw.deploy) ? config.raw.deploy : {};
    expect(isObject(deploy.kubectl)).toBe(true);
    expect(deploy.statusCheck).not.toBe(false);
    expect(typeof deploy.statusCheckDeadlineSeconds === "number" && deploy.statusCheckDeadlineSeconds > 0).toBe(true);
    expect(deploy.kubeContext).toBe("minikube");
  });

  it("builds into minikube's docker daemon: no push, BuildKit, a content/commit tag in dev", () => {
    const build = isObject(config.raw.build) ? config.raw.build : {};
    const local = isObject(build.local) ? build.local : {};
    expect(local.push).toBe(false);
    expect(local.useBuildkit).toBe(true);
    const tagPolicy = isObject(build.tagPolicy) ? Object.keys(build.tagPolicy) : [];
    expect(tagPolicy.length).toBe(1);
    expect(["inputDigest", "gitCommit"]).toContain(tagPolicy[0]);
  });

  it.each(SERVICES)("the rendered overlays use the artifact image %s (local: replaceable, prod: pinned)", (image) => {
    const local = containersOf(renderOverlay(LOCAL)).filter((c) => parseImage(c.image).repository === image);
    expect(local.length, `${LOCAL} has no container with image ${image}`).toBeGreaterThan(0);
    for (const c of local) {
      // Skaffold replaces an image by repository name; a digest would stop it.
      expect(parseImage(c.image).digest, `${c.owner.kind}/${c.owner.name}`).toBeUndefined();
      // Images only exist in minikube's daemon: pulling them would fail.
      expect(c.container.imagePullPolicy, `${c.owner.kind}/${c.owner.name}`).not.toBe("Always");
    }

    const prod = containersOf(renderOverlay(PROD)).filter((c) => parseImage(c.image).name === image);
    expect(prod.length, `${PROD} has no container whose image ends in /${image}`).toBeGreaterThan(0);
    for (const c of prod) {
      const ref = parseImage(c.image);
      expect(ref.repository, `${c.image}: prod pulls from a registry`).toContain("/");
      expect(ref.tag ?? ref.digest, `${c.image}: prod needs an explicit tag or digest`).toBeDefined();
      expect(ref.tag, `${c.image}: never latest in prod`).not.toBe("latest");
    }
  });

  it.each(config.artifacts.filter((a) => a.sync.length > 0).map((a) => [a.image, a] as const))(
    "%s: the local overlay lets the sync write (same uid as the dev image, no read-only root over the sources)",
    (_image, artifact) => {
      const image = effectiveStage(dockerfileOf(artifact), artifact.target);
      const containers = containersOf(renderOverlay(LOCAL)).filter(
        (c) => !c.init && parseImage(c.image).repository === artifact.image,
      );
      expect(containers.length).toBeGreaterThan(0);
      for (const c of containers) {
        const podSecurity = isObject(c.podSpec.securityContext) ? c.podSpec.securityContext : {};
        const security = isObject(c.container.securityContext) ? c.container.securityContext : {};
        const runAsUser = security.runAsUser ?? podSecurity.runAsUser;
        if (runAsUser !== undefined) {
          expect(String(runAsUser), `runAsUser vs USER ${image.user ?? "root"} of the dev image`).toBe(
            userPart(image.user ?? "0"),
          );
        }
        if (security.readOnlyRootFilesystem === true) {
          // Then every sync destination must sit on a writable volume (which would hide the image's sources
          // unless something copies them there): flag it for a human either way.
          const mounts = (Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : []).filter(isObject);
          for (const rule of artifact.sync) {
            const dest = posix.join(posix.resolve(image.workdir, rule.dest), staticPrefix(rule.src));
            const covered = mounts.some(
              (m) => typeof m.mountPath === "string" && m.readOnly !== true && isInside(dest, m.mountPath),
            );
            expect(covered, `${c.owner.name}: read-only root filesystem but ${dest} is not writable`).toBe(true);
          }
        }
      }
    },
  );
});

describe("skaffold.yaml port-forwards", () => {
  it("forwards invoice-app to localhost:8081 and payment-provider to localhost:8082", () => {
    const summary = config.portForward.map(
      (p) => `${p.resourceType}/${p.namespace}/${p.resourceName}:${p.port}->${p.localPort}`,
    );
    expect(summary.sort()).toEqual([
      "service/invoicing/invoice-app:8081->8081",
      "service/payments/payment-provider:8082->8082",
    ]);
  });

  it.each(config.portForward.map((p) => [`${p.resourceType}/${p.resourceName}`, p] as const))(
    "%s exists in the rendered local overlay with that namespace and port",
    (_name, pf) => {
      const kind = pf.resourceType.toLowerCase();
      const objects = renderOverlay(LOCAL).filter(
        (o) => o.kind.toLowerCase() === kind && o.name === pf.resourceName && o.namespace === pf.namespace,
      );
      expect(objects.length, `${pf.resourceType}/${pf.resourceName} in namespace ${pf.namespace ?? "?"}`).toBe(1);
      const spec = objects[0] && isObject(objects[0].raw.spec) ? objects[0].raw.spec : {};
      const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isObject);
      expect(
        ports.some((p) => p.port === pf.port || p.name === pf.port),
        `${pf.resourceName} exposes ${JSON.stringify(ports)}`,
      ).toBe(true);
    },
  );
});

describe("skaffold.yaml profiles", () => {
  it("prod: release target, prod overlay, pushed, immutable commit/content tags, never latest", () => {
    const prod = profile("prod");
    expect(prod.artifacts?.map((a) => a.target)).toEqual(["release", "release"]);
    expect(prod.kustomizePaths).toEqual([PROD]);
    const build = isObject(prod.raw.build) ? prod.raw.build : {};
    const local = isObject(build.local) ? build.local : {};
    expect(local.push).toBe(true);
    const tagPolicy = isObject(build.tagPolicy) ? build.tagPolicy : {};
    expect(Object.keys(tagPolicy)).toHaveLength(1);
    if (isObject(tagPolicy.gitCommit)) {
      // "Tags" would reuse a movable git tag; commit/tree hashes are immutable.
      expect(["CommitSha", "AbbrevCommitSha", "TreeSha", "AbbrevTreeSha"]).toContain(tagPolicy.gitCommit.variant);
    } else {
      expect(Object.keys(tagPolicy)).toEqual(["inputDigest"]);
    }
    expect(JSON.stringify(prod.raw)).not.toMatch(/latest/);
  });

  it("ci: the release images against the local overlay, without sync", () => {
    const ci = profile("ci");
    expect(ci.artifacts?.map((a) => a.target)).toEqual(["release", "release"]);
    expect(ci.artifacts?.every((a) => a.sync.length === 0)).toBe(true);
    expect(ci.kustomizePaths).toBeUndefined(); // inherits kustomize/overlays/local
  });
});
