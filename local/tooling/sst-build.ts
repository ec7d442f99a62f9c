import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative } from "node:path";
import { type BuildOptions, build } from "esbuild";

/**
 * The `nodejs` options a stack gives `sst.aws.Function`, as SST's Go builder reads them
 * (sst/sst `pkg/runtime/node/node.go`, `NodeProperties` and `ESBuildOptions`).
 */
export interface SstNodeProperties {
  loader?: Record<string, string>;
  install?: Record<string, string>;
  banner?: string;
  esbuild?: {
    target?: string;
    sourcemap?: boolean | string;
    keepNames?: boolean;
    define?: Record<string, string>;
    banner?: Record<string, string>;
    external?: string[];
    nodePaths?: string[];
    mainFields?: string[];
    conditions?: string[];
  };
  minify?: boolean;
  format?: "esm" | "cjs";
  sourceMap?: boolean;
  splitting?: boolean;
  plugins?: string;
  architecture?: string;
}

/** What the platform's Function component sends the CLI's `Runtime.Build` RPC (components/aws/function.ts). */
export interface SstBuildInput {
  functionID: string;
  handler: string;
  runtime: string;
  properties?: SstNodeProperties;
}

export interface SstBuildOutput {
  /** The handler string Lambda is configured with, relative to `out`. */
  handler: string;
  out: string;
  errors: string[];
  sourcemaps: string[];
  /** Every file the deployment zip holds (sourcemaps are uploaded apart), and their total size. */
  files: string[];
  bytes: number;
}

/** SST 4.17's `forceExternal`: packages it never bundles and installs into the artifact instead. */
const forceExternal = ["sharp", "pg-native"];

const targetByRuntime: Record<string, string> = {
  "nodejs24.x": "es2024",
  "nodejs22.x": "es2023",
  "nodejs20.x": "es2023",
  "nodejs18.x": "es2022",
};

const nodeExtensions = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/** The banner SST puts above every ESM bundle so CommonJS dependencies find `require` and `__dirname`. */
const esmBanner = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  "const require = topLevelCreateRequire(import.meta.url);",
  'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
];

/**
 * Bundles one Node function exactly as `sst deploy` does: the options below are a line-for-line
 * reading of SST 4.17's Go builder (`pkg/runtime/node/build.go`, built on esbuild 0.27.2, the
 * version pinned in package.json). A bundle that loads here loads in Lambda; one that fails here
 * (a `__dirname` clash, a missing dependency) would fail on its first cold start. Two things SST
 * does are left out on purpose and refused loudly instead: `nodejs.install` (an npm install into
 * the artifact) and `nodejs.plugins`; its `sst` version check always passes here because the CLI
 * and the `sst` package come from the same npm install.
 */
export async function buildLikeSst(
  input: SstBuildInput,
  root: string,
  outRoot: string,
): Promise<SstBuildOutput> {
  const properties = input.properties ?? {};
  const options = properties.esbuild ?? {};
  if (properties.install && Object.keys(properties.install).length > 0)
    throw new Error(`${input.functionID}: nodejs.install is not reproduced by the test build`);
  if (properties.plugins)
    throw new Error(`${input.functionID}: nodejs.plugins is not reproduced by the test build`);
  const file = handlerFile(input.handler, root);
  if (!file)
    return {
      handler: "",
      out: "",
      errors: [`Handler not found: ${input.handler}`],
      sourcemaps: [],
      files: [],
      bytes: 0,
    };
  const isEsm = properties.format !== "cjs";
  const out = join(outRoot, `${input.functionID}-src`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const target = join(out, `bundle${isEsm ? ".mjs" : ".cjs"}`);
  const buildOptions: BuildOptions = {
    entryPoints: [file],
    platform: "node",
    external: [...forceExternal, ...(options.external ?? [])],
    loader: properties.loader as BuildOptions["loader"],
    keepNames: options.keepNames ?? true,
    bundle: true,
    splitting: properties.splitting ?? false,
    metafile: true,
    outfile: target,
    sourcemap: resolveSourcemap(options.sourcemap),
    write: true,
    format: isEsm ? "esm" : "cjs",
    target: options.target ?? targetByRuntime[input.runtime] ?? "es2024",
    mainFields: options.mainFields?.length ? options.mainFields : isEsm ? ["module", "main"] : ["main"],
    conditions: options.conditions?.length ? options.conditions : undefined,
    banner: { js: isEsm ? [...esmBanner, properties.banner ?? ""].join("\n") : (properties.banner ?? "") },
    nodePaths: options.nodePaths,
    define: options.define,
    logLevel: "silent",
    absWorkingDir: root,
  };
  if (properties.splitting) {
    buildOptions.outdir = dirname(target);
    buildOptions.outExtension = { ".js": ".mjs" };
    buildOptions.outfile = undefined;
    buildOptions.entryNames = "bundle";
  }
  if (properties.minify) {
    buildOptions.minifyWhitespace = true;
    buildOptions.minifySyntax = true;
    buildOptions.minifyIdentifiers = true;
  }
  if (properties.sourceMap === false) buildOptions.sourcemap = "linked";
  const result = await build(buildOptions).catch((error: { errors?: { text: string }[] }) => ({
    errors: error.errors ?? [{ text: String(error) }],
  }));
  const errors = result.errors.map((each) => each.text);
  const written = listFiles(out);
  const sourcemaps =
    properties.sourceMap === undefined ? written.filter((each) => each.endsWith(".map")) : [];
  /* SST uploads sourcemaps beside the function, not in its zip (components/aws/function.ts). */
  const zipped = written.filter((each) => !sourcemaps.includes(each));
  return {
    handler: `bundle${extname(input.handler)}`,
    out,
    errors,
    sourcemaps,
    files: zipped.map((each) => relative(out, each)),
    bytes: zipped.reduce((sum, each) => sum + statSync(each).size, 0),
  };
}

function handlerFile(handler: string, root: string): string | undefined {
  const parts = handler.split("/").pop()?.split(".") ?? [];
  const base = parts.slice(0, -1).join(".");
  for (const extension of nodeExtensions) {
    const candidate = join(dirname(handler), base + extension);
    const absolute = isAbsolute(candidate) ? candidate : join(root, candidate);
    if (existsSync(absolute)) return absolute;
  }
  return undefined;
}

function resolveSourcemap(value: boolean | string | undefined): BuildOptions["sourcemap"] {
  if (value === undefined) return "linked";
  if (typeof value === "boolean") return value ? "linked" : false;
  const named: Record<string, BuildOptions["sourcemap"]> = {
    inline: "inline",
    linked: "linked",
    external: "external",
    both: "both",
  };
  return named[value.toLowerCase()] ?? "linked";
}

function listFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}
