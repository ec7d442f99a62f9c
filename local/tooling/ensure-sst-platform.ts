import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * `tsc` needs SST's generated platform types (.sst/platform/config.d.ts) to check sst.config.ts and
 * stacks/. `sst install` normally downloads pulumi and bun from GitHub; with these two flags it only
 * needs the npm registry (reference/stack.md §1.6). Runs once per checkout, ~40 s.
 */
if (existsSync(".sst/platform/config.d.ts")) process.exit(0);
console.log("Generating SST platform types for the infra type-check (once per checkout)…");
const result = spawnSync("npx", ["sst", "install", "--stage", "ci"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: {
    ...process.env,
    SST_SKIP_DEPENDENCY_CHECK: "true",
    SST_NO_BUN: "1",
    SST_TELEMETRY_DISABLED: "1",
    DO_NOT_TRACK: "1",
  },
});
if (result.status !== 0 || !existsSync(".sst/platform/config.d.ts")) {
  console.error("`sst install` failed: the infra type-check needs the npm registry to fetch @pulumi/aws.");
  process.exit(result.status || 1);
}
