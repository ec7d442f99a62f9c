import { invalid } from "./scim-errors";

export interface EqTerm {
  attribute: string;
  value: string;
}

/**
 * Parses IdC's filter subset: `attr eq "value"` terms joined by `and`, nothing else. Every other
 * operator (`co`, `sw`, `pr`, `or`, `not`, grouping) is a 400, as on the real endpoint, so a client
 * that relies on them fails here and not in production.
 */
export function parseEqFilter(filter: string): EqTerm[] {
  const terms: EqTerm[] = [];
  let rest = filter.trim();
  if (rest === "") throw invalid("Filter is empty.");
  for (;;) {
    const match = /^([A-Za-z][\w.:-]*)\s+(\S+)\s+"((?:[^"\\]|\\.)*)"/.exec(rest);
    if (!match) throw invalid(`Unsupported filter: ${filter}. Only the eq operator on strings is supported.`);
    const [whole, attribute, operator, raw] = match as unknown as [string, string, string, string];
    if (operator.toLowerCase() !== "eq") {
      throw invalid(`Unsupported filter operator: ${operator}. Only the eq operator is supported.`);
    }
    terms.push({ attribute, value: raw.replace(/\\(.)/g, "$1") });
    rest = rest.slice(whole.length).trim();
    if (rest === "") return terms;
    const joiner = /^and\s+/i.exec(rest);
    if (!joiner) {
      throw invalid(`Unsupported filter: ${filter}. Only "and" may join filter terms.`);
    }
    rest = rest.slice(joiner[0].length);
  }
}
