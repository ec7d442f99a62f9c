import { z } from "zod";

/**
 * A fault to inject into SCIM requests, by rate (probability per matching request) or by count (the
 * next N matching requests). `throttle` answers 429 (with Retry-After when `retryAfterSeconds` is set),
 * `server-error` 500, `drop` destroys the connection without an answer, `latency` delays the answer.
 * The rest play a hop that is not Kiro: `body` answers `status` (default 200) with `body` as it is,
 * `huge-body` streams `sizeBytes` (default 200 MB) of JSON without a length, `redirect` answers
 * `status` (default 307) with a `Location`, and `ignore-filter` serves a list as if no `filter` had
 * been sent (the request goes on; like latency, it combines with the others).
 */
export const FaultRuleSchema = z
  .object({
    kind: z.enum([
      "throttle",
      "server-error",
      "drop",
      "latency",
      "body",
      "huge-body",
      "redirect",
      "ignore-filter",
    ]),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().positive().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    status: z.number().int().min(200).max(599).optional(),
    body: z.string().optional(),
    sizeBytes: z.number().int().positive().optional(),
    location: z.string().optional(),
    method: z.string().optional(),
    /** Regular expression matched against the path after `/scim/v2`, e.g. `^/Groups/`. */
    path: z.string().optional(),
  })
  .refine(
    (rule) => (rule.rate === undefined) !== (rule.count === undefined),
    "give exactly one of rate or count",
  )
  .refine((rule) => rule.kind !== "latency" || rule.latencyMs !== undefined, "latency needs latencyMs")
  .refine((rule) => rule.kind !== "body" || rule.body !== undefined, "body needs body")
  .refine((rule) => rule.kind !== "redirect" || rule.location !== undefined, "redirect needs location");
export type FaultRule = z.infer<typeof FaultRuleSchema>;

/** Kinds that change how a request is served without answering it themselves. */
const modifierKinds = new Set<FaultRule["kind"]>(["latency", "ignore-filter"]);

export type BlockingFault = Exclude<FaultRule["kind"], "latency" | "ignore-filter">;

export interface FaultDecision {
  delayMs: number;
  ignoreFilter: boolean;
  fault?: Omit<FaultRule, "kind" | "rate" | "count" | "method" | "path"> & { kind: BlockingFault };
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
    let ignoreFilter = false;
    for (const active of matching) {
      if (!modifierKinds.has(active.rule.kind)) continue;
      const fires = active.remaining !== undefined || this.random() < (active.rule.rate ?? 0);
      if (active.remaining !== undefined) this.consume(active);
      if (!fires) continue;
      if (active.rule.kind === "latency") delayMs += active.rule.latencyMs ?? 0;
      else ignoreFilter = true;
    }
    const blocking = matching.filter(({ rule }) => !modifierKinds.has(rule.kind));
    const counted = blocking.find((active) => active.remaining !== undefined);
    if (counted) {
      this.consume(counted);
      return { delayMs, ignoreFilter, fault: toFault(counted.rule) };
    }
    const draw = this.random();
    let cumulative = 0;
    for (const { rule } of blocking) {
      cumulative += rule.rate ?? 0;
      if (draw < cumulative) return { delayMs, ignoreFilter, fault: toFault(rule) };
    }
    return { delayMs, ignoreFilter };
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
  const { kind, rate: _rate, count: _count, method: _method, path: _path, ...settings } = rule;
  return { ...settings, kind: kind as BlockingFault };
}
