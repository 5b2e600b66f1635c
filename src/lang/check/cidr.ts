/**
 * Validating the prefix of `in_cidr(ip, "10.0.0.0/8")` at check time, so a
 * typo in a network range is an error rather than a rule that never matches.
 * It accepts exactly what the evaluators accept.
 *
 * @module
 */
import { parseCidr } from "../../eval/net.ts";

/** Why `text` is not an IPv4 or IPv6 CIDR prefix, or null when it is one. */
export function cidrProblem(text: string): string | null {
  if (parseCidr(text) !== null) return null;
  const slash = text.indexOf("/");
  if (slash < 0) return "a CIDR prefix is written `address/length`, e.g. `10.0.0.0/8`";
  const length = text.slice(slash + 1);
  const max = text.slice(0, slash).includes(":") ? 128 : 32;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(length) || Number(length) > max) {
    return `the prefix length must be an integer from 0 to ${max}`;
  }
  return `\`${text.slice(0, slash)}\` is not an IPv4 or IPv6 address`;
}
