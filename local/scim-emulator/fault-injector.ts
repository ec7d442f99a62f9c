import { z } from "zod";

/**
 * A fault to inject into SCIM requests, by rate (probability per matching request) or by count (the
 * next N matching requests). `throttle` answers 429 (with Retry-After when `retryAfterSeconds` is set),
 * `server-error` 500, `drop` destroys the connection without an answer, `latency` delays the answer.
 */
export const FaultRuleSchema = z
  .object({
    kind: z.enum(["throttle", "server-error", "drop", "latency"]),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    method: z.string().optional(),
    /** Regular expression matched against the path after `/scim/v2`, e.g. `^/Groups/`. */
    path: z.string().optional(),
  })
  .refine(
    (rule) => (rule.rate === undefined) !== (rule.count === undefined),
    "give exactly one of rate or count",
  )
  .refine((rule) => rule.kind !== "latency" || rule.latencyMs !== undefined, "latency needs latencyMs");
export type FaultRule = z.infer<typeof FaultRuleSchema>;

export type BlockingFault = Exclude<FaultRule["kind"], "latency">;

export interface FaultDecision {
  delayMs: number;
  fault?: { kind: BlockingFault; retryAfterSeconds?: number | undefined };
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number | undefined;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): void {
    this.rules.push({ rule: FaultRuleSchema.parse(rule), remaining: rule.count });
  }

  clear(): void {
    this.rules = [];
  }

  list(): (FaultRule & { remaining?: number })[] {
    return this.rules.map(({ rule, remaining }) => ({
      ...rule,
      ...(remaining === undefined ? {} : { remaining }),
    }));
  }

  /**
   * Count rules fire first, in the order added. Rate rules share one draw, so a 15% throttle and a
   * 10% server-error rule really fail 25% of requests between them instead of compounding.
   */
  decide(method: string, path: string): FaultDecision {
    const matching = this.rules.filter(({ rule }) => matches(rule, method, path));
    let delayMs = 0;
    for (const active of matching) {
      if (active.rule.kind !== "latency") continue;
      if (active.remaining !== undefined) {
        delayMs += active.rule.latencyMs ?? 0;
        this.consume(active);
      } else if (this.random() < (active.rule.rate ?? 0)) delayMs += active.rule.latencyMs ?? 0;
    }
    const blocking = matching.filter(({ rule }) => rule.kind !== "latency");
    const counted = blocking.find((active) => active.remaining !== undefined);
    if (counted) {
      this.consume(counted);
      return { delayMs, fault: toFault(counted.rule) };
    }
    const draw = this.random();
    let cumulative = 0;
    for (const { rule } of blocking) {
      cumulative += rule.rate ?? 0;
      if (draw < cumulative) return { delayMs, fault: toFault(rule) };
    }
    return { delayMs };
  }

  private consume(active: ActiveRule): void {
    active.remaining = (active.remaining ?? 1) - 1;
    if (active.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== active);
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  return !rule.path || new RegExp(rule.path).test(path);
}

function toFault(rule: FaultRule): FaultDecision["fault"] {
  return { kind: rule.kind as BlockingFault, retryAfterSeconds: rule.retryAfterSeconds };
}
