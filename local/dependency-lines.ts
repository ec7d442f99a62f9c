import type { PreflightReport } from "../core/use-cases/run-preflight";

const labelWidth = 18;

/**
 * One line per checked dependency for `npm start`: what answered, or what failed and how to fix it.
 * A failure does not stop the start: the line says so, and `/status` health carries the reason.
 */
export function dependencyLines(report: PreflightReport): string[] {
  return report.checks
    .filter((check) => check.result !== "skipped")
    .map((check) => {
      const label = check.check.padEnd(labelWidth);
      if (check.result === "pass") return `  ${label} ok: ${check.detail}`;
      const what = check.result === "warn" ? "WARNING" : "FAILED";
      const after =
        check.result === "warn"
          ? ""
          : " (started anyway, degraded: checked again every minute; /status health names it)";
      return `  ${label} ${what}: ${check.detail}. Fix: ${check.fix ?? "see npm run doctor"}${after}`;
    });
}
