/** A `SYNC_GROUPS` entry that selects no group; `caseOnly` names a group it equals but for letter case. */
export interface ScopeMismatch {
  entry: string;
  caseOnly?: string | undefined;
}

/**
 * Which IdP groups are synced to Kiro: entries of `SYNC_GROUPS`, comma-separated, each an exact
 * group id or a case-insensitive name pattern where `*` matches anything (`Kiro-*`). `*` alone, or
 * an empty setting, means every group. Users are in scope while they belong to an in-scope group.
 */
export class GroupScope {
  private readonly ids: Set<string>;
  private readonly patterns: RegExp[];
  private readonly entries: string[];
  readonly everything: boolean;

  constructor(private readonly setting: string | undefined) {
    const entries = (setting ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    this.entries = [...new Set(entries)];
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

  /**
   * The entries that select none of `groups` (one directory's whole list). An entry without `*` is
   * matched exactly, so `kiro-engineering` selects no `Kiro-Engineering`: such a near miss is named,
   * since it is the likeliest typo and nothing else would tell.
   */
  unmatchedEntries(groups: readonly { id: string; name?: string | null | undefined }[]): ScopeMismatch[] {
    if (this.everything) return [];
    return this.entries.flatMap((entry): ScopeMismatch[] => {
      const selects = new GroupScope(entry);
      if (groups.some((group) => selects.includes(group))) return [];
      const folded = entry.toLowerCase();
      const caseOnly = entry.includes("*")
        ? undefined
        : groups.find((group) => group.name?.toLowerCase() === folded)?.name;
      return [caseOnly ? { entry, caseOnly } : { entry }];
    });
  }

  describe(): string {
    return this.everything ? "all groups" : (this.setting ?? "");
  }
}

/**
 * The entries that select nothing in any of the checked directories, by source: with Okta and Entra
 * both configured, an entry naming an Okta group matches no Entra group, and that is no mistake.
 */
export function unmatchedEverywhere(
  bySource: Readonly<Record<string, readonly ScopeMismatch[]>>,
): ScopeMismatch[] {
  const lists = Object.values(bySource);
  if (lists.length === 0) return [];
  return lists[0]!
    .filter((mismatch) => lists.every((list) => list.some((each) => each.entry === mismatch.entry)))
    .map((mismatch) => ({
      entry: mismatch.entry,
      caseOnly: lists
        .map((list) => list.find((each) => each.entry === mismatch.entry)?.caseOnly)
        .find(Boolean),
    }));
}

/** The warning for an entry that selects nothing, in the words the start, the doctor and `/status` use. */
export function describeScopeMismatch(mismatch: ScopeMismatch, sources: readonly string[]): string {
  return mismatch.caseOnly
    ? `SYNC_GROUPS entry \`${mismatch.entry}\` matches \`${mismatch.caseOnly}\` only in letter case, so it selects no group: write it as the IdP does`
    : `SYNC_GROUPS entry \`${mismatch.entry}\` matches no ${sources.join(" or ")} group`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}
