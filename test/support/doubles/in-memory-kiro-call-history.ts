import type { KiroCallBatch, KiroCallHistory } from "../../../core/ports/kiro-call-history";
import { compareStrings, copy } from "./in-memory-state";

/** {@link KiroCallHistory} in memory: the batches in time order, as the adapter's one partition holds them. */
export class InMemoryKiroCallHistory implements KiroCallHistory {
  private readonly batches: { key: string; batch: KiroCallBatch }[] = [];
  private serial = 0;

  async recordKiroCalls(batch: KiroCallBatch): Promise<void> {
    this.serial += 1;
    this.batches.push({ key: `${batch.at}#${String(this.serial).padStart(12, "0")}`, batch: copy(batch) });
  }

  async listKiroCalls(since: string, limit: number): Promise<KiroCallBatch[]> {
    return this.batches
      .filter((entry) => compareStrings(entry.key, since) >= 0)
      .sort((a, b) => compareStrings(b.key, a.key))
      .slice(0, limit)
      .map((entry) => copy(entry.batch));
  }
}
