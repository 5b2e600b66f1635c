// Generators for the regex property tests: patterns of the supported syntax, syntax "token soup", subjects.
import fc from "fast-check";

/**
 * Subject characters: ASCII letters whose case folds matter (`k`, `s` fold to U+212A and U+017F), word and
 * non-word characters for `\b`, newlines for `(?m)`, an astral character, accented letters and lone
 * surrogates (JS strings can hold them; both engines read one as a code point of its own).
 */
const SUBJECT_CHARS = [
  "a",
  "b",
  "c",
  "A",
  "B",
  "k",
  "K",
  "\u212a",
  "s",
  "S",
  "\u017f",
  "0",
  "1",
  "_",
  "-",
  " ",
  "\n",
  "\t",
  ".",
  "é",
  "É",
  "😀",
  "😃",
  "\ud800",
  "\udc00",
];

export const subject = fc
  .array(fc.constantFrom(...SUBJECT_CHARS), { maxLength: 10 })
  .map((cs) => cs.join(""));
export const subjects = fc.array(subject, { minLength: 12, maxLength: 12 });
export const flags = fc.constantFrom("", "", "i", "m", "s", "ims");

const literal = fc.constantFrom(
  "a",
  "b",
  "c",
  "A",
  "k",
  "S",
  "0",
  "_",
  "-",
  " ",
  "é",
  "😀",
  "\\n",
  "\\t",
  "\\x41",
  "\\x{1F600}",
  "\\x{212A}",
  "\\x{17F}",
  "\\x{D800}",
  "\\x{DC00}",
  "\\101",
  "\\0",
  "\\.",
  "\\-",
  "\\/",
  "\\*",
  "\\\\",
  "\\ ",
  "\\Qa.b\\E",
  "\\Q*\\E",
);
const perlClass = fc.constantFrom("\\d", "\\D", "\\w", "\\W", "\\s", "\\S");
const posixClass = fc.constantFrom(
  "[:alpha:]",
  "[:^alpha:]",
  "[:word:]",
  "[:digit:]",
  "[:space:]",
  "[:^space:]",
  "[:upper:]",
  "[:lower:]",
  "[:punct:]",
  "[:alnum:]",
  "[:^ascii:]",
);
const classItem = fc.oneof(
  fc.constantFrom("a", "b", "K", "s", "0", "_", "é", "😀", "\\n", "\\-", "\\]", "\\x{17F}", "."),
  fc.constantFrom("a-c", "A-Z", "0-9", "j-t", "\\x{1F600}-\\x{1F64F}", "\\x00-\\x{10FFFF}", "\\--/", "é-ï"),
  perlClass,
  posixClass,
);
const charClass = fc
  .tuple(fc.boolean(), fc.array(classItem, { minLength: 1, maxLength: 4 }))
  .map(([negated, items]) => `[${negated ? "^" : ""}${items.join("")}]`);
const assertion = fc.constantFrom("^", "$", "\\A", "\\z", "\\b", "\\B");
const atom = fc.oneof(
  { weight: 10, arbitrary: literal },
  { weight: 1, arbitrary: fc.constant(".") },
  { weight: 3, arbitrary: charClass },
  { weight: 1, arbitrary: perlClass },
  { weight: 2, arbitrary: assertion },
);
const flagGroup = fc.constantFrom("(?i)", "(?-i)", "(?s)", "(?m)", "(?-m)", "(?U)", "(?i-s)", "(?sm)");
const groupOpen = fc.constantFrom(
  "(",
  "(?:",
  "(?P<NAME>",
  "(?<NAME>",
  "(?i:",
  "(?-i:",
  "(?s:",
  "(?m:",
  "(?U:",
);
const quantifier = fc.constantFrom(
  "*",
  "+",
  "?",
  "*?",
  "+?",
  "??",
  "+",
  "{2}",
  "{2}",
  "{0}",
  "{1,}",
  "{0,2}",
  "{2,3}",
  "{1,3}?",
  "{3,}",
);

const { node: pattern } = fc.letrec<{ node: string; alternation: string; concat: string; repeat: string }>(
  (tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { weight: 4, arbitrary: atom },
      { weight: 2, arbitrary: tie("concat") },
      { weight: 1, arbitrary: tie("alternation") },
      { weight: 2, arbitrary: tie("repeat") },
    ),
    alternation: fc
      .tuple(
        groupOpen,
        fc.array(fc.oneof({ weight: 8, arbitrary: tie("node") }, { weight: 1, arbitrary: fc.constant("") }), {
          minLength: 2,
          maxLength: 3,
        }),
      )
      .map(([open, alternatives]) => `${open}${alternatives.join("|")})`),
    concat: fc
      .array(fc.oneof({ weight: 5, arbitrary: tie("node") }, { weight: 1, arbitrary: flagGroup }), {
        minLength: 2,
        maxLength: 4,
      })
      .map((items) => items.join("")),
    // Every atom is one repeatable item (after `\Q…\E`, its last character), as is a group.
    repeat: fc.tuple(fc.oneof(atom, tie("alternation")), quantifier).map(([operand, q]) => operand + q),
  }),
);

/** Numbers named groups in order, so that names are unique. */
function nameGroups(source: string): string {
  let n = 0;
  return source.replaceAll("NAME", () => `g${++n}`);
}

/** Patterns of the supported syntax (all accepted by re2js), named groups numbered apart. */
export const patterns = fc
  .oneof(
    { weight: 4, arbitrary: pattern },
    { weight: 1, arbitrary: fc.array(pattern, { minLength: 2, maxLength: 3 }).map((alts) => alts.join("|")) },
  )
  .map(nameGroups);

/**
 * Token soup: syntax fragments, valid or not, in any order. It reaches the error paths and the odd corners
 * of RE2's grammar (`{` as a literal, `(?)`, `[]a]`, repetition after a flag group, …).
 */
const TOKENS = [
  ..."()[]{}*+?|^$.\\-:,<>=!/",
  ..."abdswkKpPQExzZAbBCU019",
  "😀",
  "\n",
  "(?",
  "(?:",
  "(?i)",
  "(?-",
  "(?P<x>",
  "(?<y>",
  "(?P=x)",
  "(?=",
  "(?<=",
  "(?>",
  "(?#",
  "[:alpha:]",
  "[[:",
  ":]",
  "[^",
  "\\Q",
  "\\E",
  "\\x{",
  "\\x",
  "\\p{L}",
  "\\pL",
  "\\1",
  "\\0",
  "\\8",
  "{2}",
  "{1,2}",
  "{2,1}",
  "{,3}",
  "{01}",
  "{1001}",
  "{1000}",
  "{999999999}",
  "*?",
  "++",
  "a-z",
];

/** Token soup: up to 8 tokens. */
export const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((tokens) => tokens.join(""));

/**
 * Patterns where the preferred match is what is tested: few atoms (the empty string and assertions among them),
 * empty alternatives, greedy and lazy repetition of groups that may match empty, nested repetition, `(?U)`.
 */
const priorityAtom = fc.constantFrom(
  "a",
  "a",
  "b",
  "",
  ".",
  "😀",
  "\\x{D800}",
  "[ab]",
  "\\b",
  "\\B",
  "^",
  "$",
  "\\A",
  "\\z",
  "(?:)",
);
const priorityQuantifier = fc.constantFrom(
  "*",
  "+",
  "?",
  "*?",
  "+?",
  "??",
  "{2}",
  "{0,2}",
  "{1,}",
  "{2,3}?",
  "{0}",
  "{0,}?",
);
const priorityGroup = fc.constantFrom("(", "(?:", "(?U:", "(?m:");

const { node: priorityNode } = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: priorityAtom },
    {
      weight: 2,
      arbitrary: fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((items) => items.join("")),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(priorityGroup, fc.array(tie("node"), { minLength: 1, maxLength: 3 }))
        .map(([open, alternatives]) => `${open}${alternatives.join("|")})`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.oneof(
            priorityAtom,
            fc.tuple(priorityGroup, tie("node")).map(([open, sub]) => `${open}${sub})`),
          ),
          priorityQuantifier,
        )
        .map(([operand, q]) => `${operand === "" ? "a" : operand}${q}`),
    },
  ),
}));

/** Priority-testing patterns, some under a leading flag group. */
export const priorityPatterns = fc
  .tuple(fc.constantFrom("", "", "", "(?U)", "(?m)", "(?s)"), priorityNode)
  .map(([flag, source]) => flag + source);

/**
 * Subjects over few characters, so that runs and back-to-back matches are common: newlines, an astral character,
 * and lone surrogates (two in a row, high then low, make one astral character).
 */
export const runSubject = fc
  .array(fc.constantFrom("a", "a", "a", "b", " ", "\n", "😀", "\ud800", "\udc00"), { maxLength: 16 })
  .map((cs) => cs.join(""));
export const runSubjects = fc.array(runSubject, { minLength: 8, maxLength: 8 });
