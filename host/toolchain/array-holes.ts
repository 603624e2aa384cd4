// Array holes ([a, , b]) make the interpreter's parser fail when they sit in a
// switch case it skips. TypeScript's async/await state machine emits them
// (`_a.trys.push([0, 2, , 3])`), so every hole becomes an explicit `void 0`:
// reading a hole yields undefined, and nothing we ship tests `i in array`.
import * as acorn from "acorn";
import { simple } from "acorn-walk";

export function fillArrayHoles(code: string): string {
  const program = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const insertAt: number[] = [];
  simple(program, {
    ArrayExpression(node) {
      const elements = (node as acorn.ArrayExpression).elements;
      // `cursor` always sits just past the separator of the previous element;
      // a hole ends at the next comma.
      let cursor = node.start + 1;
      elements.forEach((element, i) => {
        if (element === null) {
          const comma = nextCommaOutsideComments(code, cursor);
          insertAt.push(comma);
          cursor = comma + 1;
        } else if (i < elements.length - 1) {
          cursor = nextCommaOutsideComments(code, element.end) + 1;
        }
      });
    },
  });
  let out = code;
  for (const at of insertAt.sort((a, b) => b - a)) out = out.slice(0, at) + "void 0" + out.slice(at);
  return out;
}

function nextCommaOutsideComments(code: string, from: number): number {
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (c === ",") return i;
    if (c === "/" && code[i + 1] === "*") i = code.indexOf("*/", i + 2) + 1;
    else if (c === "/" && code[i + 1] === "/") i = code.indexOf("\n", i);
  }
  throw new Error(`array hole without a closing comma at offset ${from}`);
}
