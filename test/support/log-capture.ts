import { vi } from "vitest";

/**
 * Everything the process writes (stdout, stderr, console), a line each, until `vi.restoreAllMocks()`:
 * Powertools writes through its own Console on the streams, the runtime through console.
 */
export function captureOutput(): { lines: string[]; jsonLines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(keep);
  vi.spyOn(process.stderr, "write").mockImplementation(keep);
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void keep(args.map(String).join(" ")),
    );
  return {
    lines,
    jsonLines: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
  };
}
