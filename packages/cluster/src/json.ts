/**
 * A JSON writer that reproduces Go's `json.MarshalIndent(v, "", indent)` byte for byte for the values
 * cluster files contain: object keys in the given order, HTML-safe string escaping (`<`, `>`, `&`,
 * U+2028 and U+2029 as \u escapes), `[]`/`{}` for empty containers, integers in decimal, no trailing
 * newline.
 */

export type GoJson = string | number | bigint | boolean | null | GoJson[] | { [key: string]: GoJson };

const HEX = "0123456789abcdef";

/** Go's encoding/json string encoding with escapeHTML on. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        out += s[i];
        continue;
      }
      switch (c) {
        case 0x22:
          out += '\\"';
          break;
        case 0x5c:
          out += "\\\\";
          break;
        case 0x08:
          out += "\\b";
          break;
        case 0x0c:
          out += "\\f";
          break;
        case 0x0a:
          out += "\\n";
          break;
        case 0x0d:
          out += "\\r";
          break;
        case 0x09:
          out += "\\t";
          break;
        default:
          out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
      }
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16)}`;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
        continue;
      }
      out += "\\ufffd"; // Lone surrogate: Go writes the replacement character.
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += "\\ufffd";
      continue;
    }
    out += s[i];
  }
  return `${out}"`;
}

function encode(v: GoJson, indent: string, depth: number): string {
  if (v === null) return "null";
  if (typeof v === "string") return goQuote(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`non-integer number ${v} in cluster JSON`);
    return v.toString();
  }
  const pad = indent.repeat(depth + 1);
  const close = indent.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((e) => pad + encode(e, indent, depth + 1)).join(",\n")}\n${close}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, e]) => `${pad}${goQuote(k)}: ${encode(e, indent, depth + 1)}`).join(",\n")}\n${close}}`;
}

/** Go's `json.MarshalIndent(v, "", indent)`. */
export function marshalIndent(v: GoJson, indent = " "): string {
  return encode(v, indent, 0);
}
