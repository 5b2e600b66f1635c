/**
 * Validating the prefix of `in_cidr(ip, "10.0.0.0/8")` at check time, so a
 * typo in a network range is an error rather than a rule that never matches.
 *
 * @module
 */
import { isIPv4, isIPv6 } from "node:net";

/** Why `text` is not an IPv4 or IPv6 CIDR prefix, or null when it is one. */
export function cidrProblem(text: string): string | null {
  const slash = text.indexOf("/");
  if (slash < 0) return "a CIDR prefix is written `address/length`, e.g. `10.0.0.0/8`";
  const address = text.slice(0, slash);
  const length = text.slice(slash + 1);
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
  if (max < 0) return `\`${address}\` is not an IPv4 or IPv6 address`;
  if (!/^(0|[1-9][0-9]*)$/.test(length) || Number(length) > max) {
    return `the prefix length must be an integer from 0 to ${max}`;
  }
  return null;
}
