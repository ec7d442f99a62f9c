import type { KiroUserProfile } from "../domain/kiro-user";
import type { ProvisioningLog, ProvisioningLogEntry } from "../ports/provisioning-log";

export type NotedAction = Omit<ProvisioningLogEntry, "at" | "trigger" | "attempt">;

/**
 * Collects a worker's actions as they happen and writes them to the provisioning log in batches
 * after each pass, so no SCIM call waits on a log write. One per delivery: it stamps each entry
 * with what set the sync going and the delivery's attempt.
 */
export class ProvisioningActivity {
  private readonly noted: ProvisioningLogEntry[] = [];

  constructor(
    private readonly log: ProvisioningLog,
    private readonly context: { trigger?: string | undefined; attempt?: number | undefined } = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  note(action: NotedAction): void {
    this.noted.push({
      ...action,
      at: this.now().toISOString(),
      trigger: this.context.trigger,
      attempt: this.context.attempt,
    });
  }

  async flush(): Promise<void> {
    const entries = this.noted.splice(0);
    if (entries.length > 0) await this.log.appendLogEntries(entries);
  }
}

/** The profile attributes a push changed, old → new; `active` is logged as (de)activation instead. */
export function profileChanges(
  before: KiroUserProfile | undefined,
  after: KiroUserProfile,
): { attribute: string; from?: string | undefined; to?: string | undefined }[] {
  if (!before) return [];
  return ([...new Set([...Object.keys(before), ...Object.keys(after)])] as (keyof KiroUserProfile)[])
    .filter((attribute) => attribute !== "active" && before[attribute] !== after[attribute])
    .map((attribute) => ({
      attribute,
      from: before[attribute] === undefined ? undefined : String(before[attribute]),
      to: after[attribute] === undefined ? undefined : String(after[attribute]),
    }));
}
