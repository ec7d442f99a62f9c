import type { KiroUserProfile } from "../domain/kiro-user";
import type { OperatorLogEntry, ProvisioningLog, ProvisioningLogEntry } from "../ports/provisioning-log";

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

/** An operator's request as the Admin function answered it. */
export interface OperatorRequest {
  actor: OperatorLogEntry["actor"];
  /** Method and path. */
  request: string;
  parameters: Record<string, unknown> | undefined;
  status: number;
  /** The JSON answer, for the run id or the message it holds. */
  answer: unknown;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Writes who asked for what and how it went. A 4xx or 5xx answer is a failure: the message says
 * why (a refused reconcile's pause reason, a dependency's error), so the log alone tells the story.
 */
export async function logOperatorRequest(
  log: ProvisioningLog,
  request: OperatorRequest,
): Promise<OperatorLogEntry> {
  const answer = (request.answer ?? {}) as { runId?: unknown; message?: unknown };
  const entry: OperatorLogEntry = {
    at: request.startedAt.toISOString(),
    kind: "OPERATOR",
    actor: request.actor,
    request: request.request,
    ...(request.parameters && Object.keys(request.parameters).length > 0
      ? { parameters: request.parameters }
      : {}),
    result: request.status < 400 ? "success" : "failure",
    status: request.status,
    ...(typeof answer.runId === "string" ? { runId: answer.runId } : {}),
    ...(typeof answer.message === "string" ? { message: answer.message.slice(0, 500) } : {}),
    durationMs: request.finishedAt.getTime() - request.startedAt.getTime(),
  };
  await log.appendLogEntries([entry]);
  return entry;
}
