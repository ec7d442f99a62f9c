/**
 * Which IdP groups are synced to Kiro: entries of `SYNC_GROUPS`, comma-separated, each an exact
 * group id or a case-insensitive name pattern where `*` matches anything (`Kiro-*`). `*` alone, or
 * an empty setting, means every group. Users are in scope while they belong to an in-scope group.
 */
export class GroupScope {
  private readonly ids: Set<string>;
  private readonly patterns: RegExp[];
  readonly everything: boolean;

  constructor(private readonly setting: string | undefined) {
    const entries = (setting ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    this.everything = entries.length === 0 || entries.includes("*");
    this.ids = new Set(entries.filter((entry) => !entry.includes("*")));
    this.patterns = entries
      .filter((entry) => entry.includes("*"))
      .map((entry) => new RegExp(`^${entry.split("*").map(escapeRegExp).join(".*")}$`, "i"));
  }

  includes(group: { id: string; name?: string | null | undefined }): boolean {
    if (this.everything || this.ids.has(group.id)) return true;
    const name = group.name ?? "";
    return this.ids.has(name) || this.patterns.some((pattern) => pattern.test(name));
  }

  describe(): string {
    return this.everything ? "all groups" : (this.setting ?? "");
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
