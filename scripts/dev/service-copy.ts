import { cp, symlink } from "node:fs/promises";
import path from "node:path";

/**
 * Copies a service's sources and package.json into `scratch` and links what `npm run dev` reaches from a service
 * folder (node_modules, the dev host under ../scripts, ../shared whose sources it watches), so a test or benchmark
 * can edit and save sources without touching the repository. Returns the copied service's folder.
 */
export async function copyServiceForDev(repoRoot: string, service: string, scratch: string): Promise<string> {
  const app = path.join(scratch, service);
  await cp(path.join(repoRoot, service, "src"), path.join(app, "src"), { recursive: true });
  await cp(path.join(repoRoot, service, "package.json"), path.join(app, "package.json"));
  for (const linked of ["node_modules", "scripts", "shared"]) {
    await symlink(path.join(repoRoot, linked), path.join(scratch, linked), "dir");
  }
  return app;
}
