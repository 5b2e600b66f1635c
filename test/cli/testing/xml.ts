/**
 * A strict reader of the XML subset JUnit reports use (declaration,
 * elements, attributes, text, character and the five predefined entity
 * references), for reading reports back in tests. It throws on anything not
 * well-formed: unbalanced or misnested tags, unquoted or repeated attributes,
 * a bare `<` or `&`, characters XML 1.0 forbids, more than one root.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text, entities decoded. */
  readonly text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decode(raw: string, at: number): string {
  if (raw.includes("<")) throw new Error(`bare < at ${at}`);
  return raw.replace(/&([^;]*);|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) throw new Error(`bare & at ${at}`);
    const code = /^#x([0-9a-fA-F]+)$/.exec(entity)?.[1] ?? /^#(\d+)$/.exec(entity)?.[1];
    if (code !== undefined) {
      const n = entity.startsWith("#x") ? Number.parseInt(code, 16) : Number(code);
      const c = String.fromCodePoint(n);
      if (FORBIDDEN.test(c)) throw new Error(`forbidden character reference ${match} at ${at}`);
      return c;
    }
    const named = ENTITIES[entity];
    if (named === undefined) throw new Error(`unknown entity ${match} at ${at}`);
    return named;
  });
}

/** Parses a whole document and returns its root element. */
export function parseXml(text: string): XmlElement {
  if (FORBIDDEN.test(text)) throw new Error("document contains a character XML 1.0 forbids");
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  };
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end < 0) throw new Error("unterminated XML declaration");
    i = end + 2;
  }
  const element = (): XmlElement => {
    if (text[i] !== "<") throw new Error(`expected < at ${i}`);
    i++;
    const name = NAME.exec(text.slice(i))?.[0];
    if (name === undefined) throw new Error(`expected an element name at ${i}`);
    i += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith("/>", i)) {
        i += 2;
        return { name, attributes, children: [], text: "" };
      }
      if (text[i] === ">") {
        i++;
        break;
      }
      if (i === before) throw new Error(`expected whitespace before an attribute at ${i}`);
      const attr = NAME.exec(text.slice(i))?.[0];
      if (attr === undefined) throw new Error(`expected an attribute name at ${i}`);
      i += attr.length;
      if (text[i] !== "=" || (text[i + 1] !== '"' && text[i + 1] !== "'"))
        throw new Error(`attribute ${attr} is not quoted at ${i}`);
      const quote = text[i + 1] as string;
      const end = text.indexOf(quote, i + 2);
      if (end < 0) throw new Error(`unterminated attribute ${attr}`);
      if (Object.hasOwn(attributes, attr)) throw new Error(`repeated attribute ${attr} at ${i}`);
      attributes[attr] = decode(text.slice(i + 2, end), i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let own = "";
    for (;;) {
      const next = text.indexOf("<", i);
      if (next < 0) throw new Error(`element ${name} is not closed`);
      own += decode(text.slice(i, next), i);
      i = next;
      if (text.startsWith("</", i)) {
        const close = `</${name}>`;
        if (!text.startsWith(close, i)) throw new Error(`expected ${close} at ${i}`);
        i += close.length;
        return { name, attributes, children, text: own };
      }
      children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== text.length) throw new Error(`content after the root element at ${i}`);
  return root;
}
