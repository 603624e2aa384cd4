// The interpreter's JSON as its Storage module writes and reads it, so that
// a file written by writeJSON has the same bytes as on the board and
// readJSON accepts what the interpreter accepts. Writing follows
// jsfGetJSONWithCallback (src/jswrap_json.c) with the flags jswrap_storage.c
// passes, numbers follow ftoa_bounded_extra (src/jsutils.c), reading follows
// jswrap_json_parse_internal on the interpreter's lexer.
//
// Known differences: object keys come out in V8's order (integer-like keys
// first), where the interpreter keeps insertion order; strings are the
// simulator's JavaScript strings, taken as the interpreter's Unicode strings
// when they hold a character beyond a byte.

/**
 * "storage": Storage.writeJSON (keys unquoted where they are identifiers or
 * integers, bytes escaped as \xHH). "stringify": Storage.write with an object,
 * which goes through JSON.stringify (every key quoted, \u00HH escapes).
 */
export type JsonStyle = "storage" | "stringify";

export function storageJson(value: unknown, style: JsonStyle): string {
  const out: string[] = [];
  const path = new Set<object>();
  const quote = (s: string) => quoteString(s, style === "stringify");

  const emit = (v: unknown, key: string | undefined): void => {
    if (v === undefined) return void out.push("null");
    if (v === null) return void out.push("null");
    if (typeof v === "function") return void out.push("undefined");
    if (typeof v === "boolean") return void out.push(String(v));
    if (typeof v === "number") return void out.push(Number.isFinite(v) ? numberToString(v) : "null");
    if (typeof v === "string") return void out.push(quote(v));
    if (typeof v !== "object") return void out.push(quote(String(v)));
    if (path.has(v)) return void out.push(" ... ");
    path.add(v);
    try {
      if (Array.isArray(v)) {
        out.push("[");
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(",");
          emit(v[i], String(i));
        }
        out.push("]");
      } else if (ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === "[object ArrayBuffer]") {
        const items = ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : Array.from(new Uint8Array(v as ArrayBuffer));
        out.push("[", items.map((n) => numberToString(n)).join(","), "]");
      } else {
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === "function") {
          path.delete(v);
          emit(toJSON.call(v, key), undefined);
          return;
        }
        out.push("{");
        let first = true;
        for (const k of Object.keys(v)) {
          const item = (v as Record<string, unknown>)[k];
          if (typeof item === "function" || item === undefined) continue;
          if (!first) out.push(",");
          first = false;
          out.push(style === "storage" && (isIntegerKey(k) || (k.length < 63 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))) ? k : quote(k), ":");
          emit(item, k);
        }
        out.push("}");
      }
    } finally {
      path.delete(v);
    }
  };
  emit(value, undefined);
  return out.join("");
}

/** A key the interpreter stores as an integer (printed without quotes). */
function isIntegerKey(k: string): boolean {
  return /^(0|-?[1-9][0-9]*)$/.test(k) && Number(k) >= -0x80000000 && Number(k) <= 0x7fffffff;
}

/** %q / %Q of cbprintf: escapeCharacter() for each character. */
function quoteString(s: string, allUnicode: boolean): string {
  let unicode = allUnicode;
  for (let i = 0; i < s.length && !unicode; i++) if (s.charCodeAt(i) > 0xff) unicode = true;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
    out += escapeCharacter(ch, next, unicode);
  }
  return out + '"';
}

function escapeCharacter(ch: number, nextCh: number, jsonStyle: boolean): string {
  if (ch === 0x0a) return "\\n";
  if (ch === 0x09) return "\\t";
  if (ch === 0x08) return "\\b";
  if (ch === 0x0b && !jsonStyle) return "\\v";
  if (ch === 0x0c) return "\\f";
  if (ch === 0x0d) return "\\r";
  if (ch === 0x5c) return "\\\\";
  if (ch === 0x22) return '\\"';
  const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, "0");
  if (ch < 8 && !jsonStyle && (nextCh < 0x30 || nextCh > 0x37)) return `\\${ch}`;
  if (ch < 32 || ch >= 127) return jsonStyle || ch > 255 ? `\\u${hex(ch, 4)}` : `\\x${hex(ch, 2)}`;
  return String.fromCharCode(ch);
}

/** How the interpreter prints a number: integers as such, other values through ftoa_bounded_extra. */
export function numberToString(val: number): string {
  if (Number.isInteger(val) && val >= -0x80000000 && val <= 0x7fffffff) return String(val === 0 ? 0 : val);
  if (Number.isNaN(val)) return "NaN";
  if (!Number.isFinite(val)) return val < 0 ? "-Infinity" : "Infinity";
  const stopAtError = 0.0000001;
  let str = "";
  if (val < 0) {
    str = "-";
    val = -val;
  }
  let exponent = 0;
  if (val > 0) {
    if (val >= 1e21) {
      while (val > 100000) {
        val /= 100000;
        exponent += 5;
      }
      while (val > 10) {
        val /= 10;
        exponent++;
      }
    } else if (val < 1e-6) {
      while (val < 1e-5) {
        val *= 100000;
        exponent -= 5;
      }
      while (val < 1) {
        val *= 10;
        exponent--;
      }
    }
  }
  // Close to an integer (the C casts to a 32-bit int): take the integer.
  if (val + stopAtError < 0x7fffffff && Math.trunc(val + stopAtError) === 1 + Math.trunc(val)) val = 1 + Math.trunc(val);
  const digit = (v: number) => (v < 10 ? String.fromCharCode(48 + v) : String.fromCharCode(97 + v - 10));
  let d = 1;
  while (d * 10 <= val) d *= 10;
  while (d >= 1) {
    const v = Math.trunc(val / d);
    val -= v * d;
    str += digit(v);
    d /= 10;
  }
  if (val > 0) {
    let hasPoint = false;
    let fractionalDigits = -1;
    val *= 10;
    while (fractionalDigits > -12 && val > stopAtError) {
      let v = Math.trunc(val + 0.00000001);
      val = (val - v) * 10;
      if (v === 10) v = 9;
      if (!hasPoint) {
        hasPoint = true;
        str += ".";
      }
      str += digit(v);
      fractionalDigits--;
    }
  }
  if (exponent) str += `e${exponent > 0 ? "+" : ""}${exponent}`;
  return str;
}

/** A failed Storage.readJSON, with the interpreter's message (its SyntaxError). */
export class JsonSyntaxError extends Error {}

type Token =
  | { kind: "EOF" }
  | { kind: "ID"; text: string }
  | { kind: "INT" | "FLOAT"; value: number }
  | { kind: "STRING"; value: string }
  | { kind: "char"; ch: string };

const RESERVED = new Set(["true", "false", "null", "undefined", "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const", "this", "throw", "try", "catch", "finally", "new", "in", "instanceof", "switch", "case", "default", "delete", "typeof", "void", "class", "extends", "super", "static", "debugger", "of"]);

/**
 * Storage.readJSON's parser (jswrap_json_parse_liberal): unquoted keys, JS
 * string escapes, hex, octal and binary numbers, comments, trailing commas;
 * anything after the value is ignored. Throws JsonSyntaxError where the
 * interpreter throws; returns undefined where it gives up silently.
 */
export function parseStorageJson(text: string): unknown {
  const lex = new Lexer(text);
  const FAIL = Symbol("fail");
  const tokenName = (t: Token): string => {
    if (t.kind === "char") return `'${t.ch}'`;
    if (t.kind === "ID") return RESERVED.has(t.text) ? t.text : "ID";
    return t.kind;
  };
  const gotName = (t: Token): string => {
    if (t.kind === "ID" && !RESERVED.has(t.text)) return `ID:${t.text}`;
    if (t.kind === "STRING") return `String:'${t.value}'`;
    return tokenName(t);
  };
  const isChar = (ch: string) => lex.tk.kind === "char" && lex.tk.ch === ch;
  const match = (ch: string): boolean => {
    if (isChar(ch)) {
      lex.next();
      return true;
    }
    throw new JsonSyntaxError(`Got ${gotName(lex.tk)} expected '${ch}'`);
  };
  const parse = (): unknown => {
    const t = lex.tk;
    if (t.kind === "ID" && (t.text === "true" || t.text === "false" || t.text === "null")) {
      lex.next();
      return t.text === "null" ? null : t.text === "true";
    }
    if (t.kind === "char" && t.ch === "-") {
      lex.next();
      const n = lex.tk;
      if (n.kind !== "INT" && n.kind !== "FLOAT") return FAIL;
      lex.next();
      return 0 - n.value;
    }
    if (t.kind === "INT" || t.kind === "FLOAT" || t.kind === "STRING") {
      lex.next();
      return t.value;
    }
    if (t.kind === "char" && t.ch === "[") {
      lex.next();
      const arr: unknown[] = [];
      while (!isChar("]")) {
        const value = parse();
        if (value === FAIL || (!isChar("]") && !match(","))) return FAIL;
        arr.push(value);
      }
      match("]");
      return arr;
    }
    if (t.kind === "char" && t.ch === "{") {
      lex.next();
      const obj: Record<string, unknown> = {};
      for (let k = lex.tk; k.kind === "STRING" || k.kind === "INT" || k.kind === "ID"; k = lex.tk) {
        const key = k.kind === "ID" ? k.text : String(k.value);
        lex.next();
        if (!match(":")) return FAIL;
        const value = parse();
        if (value === FAIL || (!isChar("}") && !match(","))) return FAIL;
        obj[key] = value;
      }
      match("}");
      return obj;
    }
    throw new JsonSyntaxError(`Expecting valid value, got ${tokenName(t)}`);
  };
  const result = parse();
  return result === FAIL ? undefined : result;
}

/** The part of the interpreter's lexer (src/jslex.c) JSON needs. */
class Lexer {
  tk: Token = { kind: "EOF" };
  private pos = 0;

  constructor(private readonly s: string) {
    this.next();
  }

  next(): void {
    const s = this.s;
    for (;;) {
      while (this.pos < s.length && /\s/.test(s[this.pos])) this.pos++;
      if (s.startsWith("//", this.pos)) {
        while (this.pos < s.length && s[this.pos] !== "\n") this.pos++;
      } else if (s.startsWith("/*", this.pos)) {
        const end = s.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? s.length : end + 2;
      } else break;
    }
    if (this.pos >= s.length) {
      this.tk = { kind: "EOF" };
      return;
    }
    const ch = s[this.pos];
    if (/[A-Za-z_$]/.test(ch)) {
      const m = /^[A-Za-z0-9_$]+/.exec(s.slice(this.pos))!;
      this.pos += m[0].length;
      this.tk = { kind: "ID", text: m[0] };
    } else if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(s[this.pos + 1] ?? ""))) {
      this.tk = this.number();
    } else if (ch === '"' || ch === "'") {
      this.tk = this.string(ch);
    } else {
      this.pos++;
      this.tk = { kind: "char", ch };
    }
  }

  private number(): Token {
    const rest = this.s.slice(this.pos);
    const radix = /^0[xX][0-9a-fA-F]+/.exec(rest) ?? /^0[bB][01]+/.exec(rest) ?? /^0[oO][0-7]+/.exec(rest);
    if (radix) {
      this.pos += radix[0].length;
      const base = { x: 16, b: 2, o: 8 }[radix[0][1].toLowerCase() as "x" | "b" | "o"];
      return { kind: "INT", value: parseInt(radix[0].slice(2), base) };
    }
    const octal = /^0[0-7]+(?![.eE0-9])/.exec(rest);
    if (octal) {
      this.pos += octal[0].length;
      return { kind: "INT", value: parseInt(octal[0], 8) };
    }
    const m = /^[0-9]*(\.[0-9]*)?([eE][+-]?[0-9]+)?/.exec(rest)!;
    this.pos += m[0].length;
    return { kind: m[1] !== undefined || m[2] !== undefined ? "FLOAT" : "INT", value: Number(m[0].endsWith(".") ? m[0].slice(0, -1) : m[0]) };
  }

  private string(quote: string): Token {
    const s = this.s;
    let out = "";
    this.pos++;
    while (this.pos < s.length && s[this.pos] !== quote) {
      let c = s[this.pos++];
      if (c === "\\" && this.pos < s.length) {
        c = s[this.pos++];
        const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", v: "\v", a: "\x07" };
        if (c in simple) out += simple[c];
        else if (c === "x" || c === "u") {
          const n = c === "x" ? 2 : 4;
          out += String.fromCharCode(parseInt(s.substr(this.pos, n), 16) || 0);
          this.pos += n;
        } else if (/[0-7]/.test(c)) {
          const m = /^[0-7]{1,2}/.exec(s.slice(this.pos));
          const digits = c + (m && parseInt(c + m[0], 8) < 256 ? m[0] : "");
          this.pos += digits.length - 1;
          out += String.fromCharCode(parseInt(digits, 8));
        } else if (c === "\n") {
          // a line continuation
        } else out += c;
      } else out += c;
    }
    this.pos++; // the closing quote
    return { kind: "STRING", value: out };
  }
}
