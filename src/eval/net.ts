/**
 * Parsing of network names and addresses for the built-ins `host`, `domain`
 * and `in_cidr`. Each returns null for malformed input, which the caller turns
 * into unknown: a malformed address must never be taken as "not in the list".
 *
 * Everything is parsed by hand or by the WHATWG URL parser; no regular
 * expression runs on the attacker's text. The checker and the reference
 * interpreter use these same parsers, so all three agree on what a
 * well-formed address is.
 *
 * @module
 */

/**
 * Lower-cased host of an absolute URL (WHATWG parsing); null if malformed, relative, or without a host.
 * The host must also be a plain DNS name (ASCII letters, digits, `-`, `_`, `.`; internationalised names
 * arrive in their `xn--` form) or a bracketed IPv6 literal: browsers' URL parsers percent-encode
 * characters that Node's refuses (`http://exa mple.com` has host `exa%20mple.com` in Chromium), and a
 * host that differs by runtime must be unknown everywhere rather than "not in the list" somewhere.
 */
export function urlHost(url: string): string | null {
  const parsed = URL.parse(url);
  if (parsed === null || parsed.hostname === "") return null;
  const host = parsed.hostname.toLowerCase();
  return plainHost(host) ? host : null;
}

function plainHost(host: string): boolean {
  const ipv6 = host.startsWith("[") && host.endsWith("]");
  for (let i = ipv6 ? 1 : 0; i < host.length - (ipv6 ? 1 : 0); i++) {
    const c = host.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    const hex = c >= 0x61 && c <= 0x66;
    const allowed = ipv6
      ? digit || hex || c === 0x3a || c === 0x2e
      : digit || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e;
    if (!allowed) return false;
  }
  return true;
}

/** Characters that may not appear in the local part: they separate or quote addresses in mail headers. */
const LOCAL_FORBIDDEN = new Set([",", ";", "<", ">", "(", ")", "[", "]", "\\", '"', "@"]);

/**
 * Lower-cased domain of an e-mail address; null if malformed. Well-formed means: one `@`, a
 * non-empty local part of printable ASCII without separators or quotes, and a domain of
 * non-empty dot-separated labels of ASCII letters, digits and hyphens (internationalised
 * domains in their `xn--` form). Anything else could be read differently by a mail system.
 */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf("@");
  if (at <= 0) return null;
  for (let i = 0; i < at; i++) {
    const code = email.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || LOCAL_FORBIDDEN.has(email[i] as string)) return null;
  }
  const domain = email.slice(at + 1).toLowerCase();
  let labelLength = 0;
  for (const ch of domain) {
    if (ch === ".") {
      if (labelLength === 0) return null;
      labelLength = 0;
    } else if ((ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") || ch === "-") {
      labelLength++;
    } else {
      return null;
    }
  }
  return labelLength === 0 ? null : domain;
}

/** The longest textual IP address (IPv6 with an embedded IPv4 part). */
const MAX_ADDRESS_LENGTH = 45;

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (ch < "0" || ch > "9") return false;
  return true;
}

function isHex(s: string): boolean {
  for (const ch of s) {
    if (!((ch >= "0" && ch <= "9") || (ch >= "a" && ch <= "f") || (ch >= "A" && ch <= "F"))) return false;
  }
  return true;
}

/** Dotted-quad IPv4: four decimal parts 0–255, no leading zeros (they read as octal elsewhere). */
function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!isDigits(part) || part.length > 3 || (part.length > 1 && part[0] === "0")) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/** Colon-separated hex groups; the last may be a dotted quad when `v4Tail`. Empty text is no groups. */
function parseGroups(s: string, v4Tail: boolean): number[] | null {
  if (s === "") return [];
  const parts = s.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (v4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIPv4(part);
      if (v4 === null) return null;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (part.length < 1 || part.length > 4 || !isHex(part)) return null;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

/** IPv6 in full or `::`-compressed form, optionally ending in a dotted quad. No zone ids, no brackets. */
function parseIPv6(s: string): number[] | null {
  const halves = s.split("::");
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(s, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else if (halves.length === 2) {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    return null;
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * An address as 16 bytes; IPv4 addresses become IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so that
 * `::ffff:10.0.0.1` cannot slip past a test for `10.0.0.0/8`.
 */
function parseAddress(s: string): { bytes: number[]; v4: boolean } | null {
  if (s.length > MAX_ADDRESS_LENGTH) return null;
  if (s.includes(":")) {
    const bytes = parseIPv6(s);
    return bytes === null ? null : { bytes, v4: false };
  }
  const v4 = parseIPv4(s);
  return v4 === null ? null : { bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4], v4: true };
}

/** `a.b.c.d/n` or `x::y/n` as 16 bytes and a prefix length in bits of the 128-bit form; null if malformed. */
export function parseCidr(cidr: string): { bytes: number[]; bits: number } | null {
  const slash = cidr.indexOf("/");
  if (slash < 0) return null;
  const lengthText = cidr.slice(slash + 1);
  if (!isDigits(lengthText) || lengthText.length > 3 || (lengthText.length > 1 && lengthText[0] === "0")) {
    return null;
  }
  const address = parseAddress(cidr.slice(0, slash));
  if (address === null) return null;
  const length = Number(lengthText);
  if (length > (address.v4 ? 32 : 128)) return null;
  return { bytes: address.bytes, bits: address.v4 ? 96 + length : length };
}

/** Whether `ip` lies in `cidr`; null when either is malformed. */
export function inCidr(ip: string, cidr: string): boolean | null {
  const address = parseAddress(ip);
  const network = parseCidr(cidr);
  if (address === null || network === null) return null;
  for (let bit = 0; bit < network.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((address.bytes[byte] as number) & mask) !== ((network.bytes[byte] as number) & mask)) return false;
  }
  return true;
}
