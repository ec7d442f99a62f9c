import { describe, expect, it } from "vitest";
import { isDeepAuditHour } from "../../core/use-cases/reconcile";

describe("the scheduled reconcile's depth", () => {
  it("is deep for a run starting in DEEP_AUDIT_HOUR_UTC, from the first minute of the hour to the last", () => {
    // Prepare
    const starts = ["2025-03-14T03:00:00.000Z", "2025-03-14T03:59:59.999Z"].map((iso) => new Date(iso));

    // Act
    const deep = starts.map((now) => isDeepAuditHour(now, 3));

    // Assess
    expect(deep).toEqual([true, true]);
  });

  it("is shallow for a run starting in any other UTC hour, whatever the local time zone calls it", () => {
    // Prepare
    const starts = ["2025-03-14T02:59:59.999Z", "2025-03-14T04:00:00.000Z", "2025-03-14T03:00:00-01:00"].map(
      (iso) => new Date(iso),
    );

    // Act
    const deep = starts.map((now) => isDeepAuditHour(now, 3));

    // Assess
    expect(deep).toEqual([false, false, false]);
  });

  it("is never deep when DEEP_AUDIT_HOUR_UTC is off", () => {
    // Prepare
    const everyHour = Array.from({ length: 24 }, (_, hour) => new Date(Date.UTC(2025, 2, 14, hour, 30)));

    // Act
    const deep = everyHour.map((now) => isDeepAuditHour(now, undefined));

    // Assess
    expect(deep).toEqual(Array(24).fill(false));
  });
});
