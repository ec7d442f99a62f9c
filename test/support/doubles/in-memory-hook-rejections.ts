import type { HookRejection, HookRejections } from "../../../core/ports/hook-rejections";
import { compareStrings, copy } from "./in-memory-state";

/** {@link HookRejections} in memory: one entry per rejection, in time order, as the adapter's one partition holds them. */
export class InMemoryHookRejections implements HookRejections {
  private readonly rejections: { key: string; rejection: HookRejection }[] = [];
  private serial = 0;

  async recordHookRejection(rejection: HookRejection): Promise<void> {
    this.serial += 1;
    this.rejections.push({
      key: `${rejection.at}#${String(this.serial).padStart(12, "0")}`,
      rejection: copy(rejection),
    });
  }

  async listHookRejections(since: string, limit: number): Promise<HookRejection[]> {
    return this.rejections
      .filter((entry) => compareStrings(entry.key, since) >= 0)
      .sort((a, b) => compareStrings(b.key, a.key))
      .slice(0, limit)
      .map((entry) => copy(entry.rejection));
  }
}
