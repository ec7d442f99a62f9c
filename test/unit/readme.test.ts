import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type SettingName, settingOrigins } from "../../core/config";
import { httpRoutes } from "../../functions/shared/http-routes";

/**
 * The README promises a configuration table with every setting, the list of HTTP routes and the npm
 * scripts to run; these tests hold it to the code, so a new setting, route or renamed script cannot
 * leave it behind.
 */
const root = resolve(import.meta.dirname, "../..");
const readme = () => readFileSync(resolve(root, "README.md"), "utf8");

/** The text of one `## ` section, without the next section. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`the README has no "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

interface SettingRow {
  names: string[];
  inAws: string;
}

/** The rows of the Configuration section's first table: the variables in backticks, and the "in AWS" cell. */
function configurationRows(markdown: string): SettingRow[] {
  const lines = section(markdown, "Configuration").split("\n");
  const header = lines.findIndex((line) => line.startsWith("| variable |"));
  if (header < 0) throw new Error("the Configuration section has no `| variable |` table");
  const rows: SettingRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const [variable = "", inAws = ""] = line.split("|").slice(1, -1);
    rows.push({
      names: [...variable.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!),
      inAws: inAws.trim(),
    });
  }
  return rows;
}

/** How the "in AWS" cell must read for each origin `settingOrigins` gives. */
const inAwsWording: Record<(typeof settingOrigins)[SettingName], RegExp> = {
  local: /^local only$/,
  stack: /^(deploy-time → )?stack$/,
  okta: /^(deploy-time → )?stack \(Okta stages/,
  entra: /^(deploy-time → )?stack \(Entra stages/,
  secret: /^secret `\w+` \(`\w+`\)$/,
  tuning: /^tuning \(passes through\)$/,
};

describe("README", () => {
  it("lists every setting core/config.ts reads in the configuration table", () => {
    // Prepare
    const settings = Object.keys(settingOrigins) as SettingName[];

    // Act
    const listed = new Set(configurationRows(readme()).flatMap((row) => row.names));

    // Assess
    expect(settings.filter((name) => !listed.has(name))).toEqual([]);
  });

  it("says where each setting comes from in AWS as settingOrigins does", () => {
    // Prepare
    const rows = configurationRows(readme());

    // Act
    const wrong = (Object.entries(settingOrigins) as [SettingName, (typeof settingOrigins)[SettingName]][])
      .map(([name, origin]) => ({ name, origin, row: rows.find((each) => each.names.includes(name)) }))
      .filter(({ origin, row }) => row && !inAwsWording[origin].test(row.inAws))
      .map(({ name, origin, row }) => `${name} (${origin}): "${row?.inAws}"`);

    // Assess
    expect(wrong).toEqual([]);
  });

  it("lists every HTTP route the route table serves", () => {
    // Prepare
    const text = readme();

    // Act
    const missing = Object.keys(httpRoutes).filter((route) => !text.includes(`\`${route}\``));

    // Assess
    expect(missing).toEqual([]);
  });

  it("mentions only npm scripts that package.json defines", () => {
    // Prepare
    const scripts = Object.keys(
      (JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
        .scripts,
    );
    const text = readme();

    // Act
    const mentioned = new Set([
      ...[...text.matchAll(/\bnpm run ([\w:.-]+)/g)].map((match) => match[1]!),
      ...[...text.matchAll(/\bnpm (start|test)\b/g)].map((match) => match[1]!),
    ]);

    // Assess
    expect(mentioned.size).toBeGreaterThan(0);
    expect([...mentioned].filter((script) => !scripts.includes(script))).toEqual([]);
  });
});
