/**
 * The built-in functions over known values. `has` and `intent.mentions` read
 * the scope rather than values and live with the expression evaluator.
 *
 * A function returns null when its input is malformed (an unparsable URL or
 * address); the caller turns that into unknown, never into false.
 *
 * @module
 */

import { emailDomain, inCidr, urlHost } from "../eval/net.ts";
import type { BuiltinFunction } from "../lang/checked.ts";
import { SemanticsTypeError } from "./errors.ts";
import { bool, expectString, num, str, type Value } from "./values.ts";

type PureBuiltin = Exclude<BuiltinFunction, "has" | "intent.mentions">;

function arity(name: string, args: readonly Value[], n: number): void {
  if (args.length !== n) throw new SemanticsTypeError(`${name} takes ${n} argument(s), got ${args.length}`);
}

function stringArg(name: string, args: readonly Value[], i: number): string {
  return expectString(args[i] as Value, `${name} argument ${i + 1}`);
}

export function applyBuiltin(name: PureBuiltin, args: readonly Value[]): Value | null {
  switch (name) {
    case "lower":
      arity(name, args, 1);
      return str(stringArg(name, args, 0).toLowerCase());
    case "upper":
      arity(name, args, 1);
      return str(stringArg(name, args, 0).toUpperCase());
    case "trim":
      arity(name, args, 1);
      return str(stringArg(name, args, 0).trim());
    case "len": {
      arity(name, args, 1);
      const arg = args[0] as Value;
      if (arg.kind === "string") return num(arg.value.length);
      if (arg.kind === "set") return num(arg.elements.size);
      throw new SemanticsTypeError(`len: expected string or set, got ${arg.kind}`);
    }
    case "starts_with":
      arity(name, args, 2);
      return bool(stringArg(name, args, 0).startsWith(stringArg(name, args, 1)));
    case "ends_with":
      arity(name, args, 2);
      return bool(stringArg(name, args, 0).endsWith(stringArg(name, args, 1)));
    case "contains":
      arity(name, args, 2);
      return bool(stringArg(name, args, 0).includes(stringArg(name, args, 1)));
    case "host": {
      arity(name, args, 1);
      const host = urlHost(stringArg(name, args, 0));
      return host === null ? null : str(host);
    }
    case "domain": {
      arity(name, args, 1);
      const domain = emailDomain(stringArg(name, args, 0));
      return domain === null ? null : str(domain);
    }
    case "in_cidr": {
      arity(name, args, 2);
      const inside = inCidr(stringArg(name, args, 0), stringArg(name, args, 1));
      return inside === null ? null : bool(inside);
    }
  }
}
