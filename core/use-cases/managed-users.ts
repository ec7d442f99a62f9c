import type { IdentitySource } from "../domain/identity-source";
import type { StatusQueries } from "../ports/status-queries";

/** Users this service manages in Kiro: a run's removals are measured as a share of them. */
export async function countManagedUsers(ledger: StatusQueries, source: IdentitySource): Promise<number> {
  let managed = 0;
  for (const status of ["synced", "pending", "failed"] as const)
    managed += await ledger.countByStatus(source, "USER", status);
  return managed;
}
