// TypeScript's ES5 output wraps each class in a function called at once:
//
//   var Jobs = /** @class */ (function () {
//       function Jobs(thing) { ... }
//       Jobs.prototype.list = function () { ... };
//       return Jobs;
//   }());
//
// On the interpreter every function made in a scope chain longer than one
// scope keeps its own copy of that chain (docs/interpreter.md, "What a
// function costs"), so each method made inside the wrapper costs three more
// variables, for as long as the class exists, for a scope that holds nothing
// but the class itself. This plugin takes the wrapper away when the class is
// only that: its constructor, assignments to it and its prototype, and
// `return Jobs`. What is left declares the same name with the same value.
//
// The wrapper's own text is replaced by spaces, so every other character
// keeps its line and column and the source map stays as it is.
import * as acorn from "acorn";
import type { Plugin } from "rollup";

type Node = acorn.AnyNode;

export function flatClasses(): Plugin {
  return {
    name: "flat-classes",
    transform(code, id) {
      if (id.startsWith("\0") || !code.includes("prototype")) return null;
      const program = acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
      const blanks: [number, number][] = [];
      for (const statement of program.body) {
        const wrapper = classWrapper(statement);
        if (wrapper) blanks.push(...wrapper);
      }
      if (blanks.length === 0) return null;
      let out = code;
      for (const [start, end] of blanks) out = out.slice(0, start) + out.slice(start, end).replace(/[^\n]/g, " ") + out.slice(end);
      // Nothing moved: rollup keeps the source map when a transform returns none.
      return { code: out, map: null };
    },
  };
}

/** The ranges to blank out of `var X = (function () { function X() {} ...; return X; }());`, or undefined if it is not only a class. */
function classWrapper(statement: Node): [number, number][] | undefined {
  if (statement.type !== "VariableDeclaration" || statement.declarations.length !== 1) return undefined;
  const { id, init } = statement.declarations[0];
  if (id.type !== "Identifier" || !init || init.type !== "CallExpression" || init.arguments.length !== 0) return undefined;
  const fn = init.callee;
  if (fn.type !== "FunctionExpression" || fn.params.length !== 0) return undefined;
  const body = fn.body.body;
  const first = body[0];
  const last = body[body.length - 1];
  if (!first || first.type !== "FunctionDeclaration" || first.id?.name !== id.name) return undefined;
  if (last.type !== "ReturnStatement" || last.argument?.type !== "Identifier" || last.argument.name !== id.name) return undefined;
  for (const member of body.slice(1, -1)) if (!isMemberDefinition(member, id.name)) return undefined;
  // Before the constructor: "var X = /** @class */ (function () {"; after the last member: "return X;\n}());".
  return [
    [statement.start, first.start],
    [last.start, statement.end],
  ];
}

/** `X.y = ...;`, `X.prototype.y = ...;` or `Object.defineProperty(X.prototype, ...);` */
function isMemberDefinition(statement: Node, name: string): boolean {
  if (statement.type !== "ExpressionStatement") return false;
  const e = statement.expression;
  if (e.type === "AssignmentExpression" && e.operator === "=") return e.left.type === "MemberExpression" && isClassOrPrototype(e.left.object, name);
  return (
    e.type === "CallExpression" &&
    e.callee.type === "MemberExpression" &&
    e.callee.object.type === "Identifier" &&
    e.callee.object.name === "Object" &&
    e.callee.property.type === "Identifier" &&
    e.callee.property.name === "defineProperty" &&
    e.arguments.length > 0 &&
    isClassOrPrototype(e.arguments[0], name)
  );
}

function isClassOrPrototype(node: Node, name: string): boolean {
  if (node.type === "Identifier") return node.name === name;
  return node.type === "MemberExpression" && !node.computed && node.object.type === "Identifier" && node.object.name === name && node.property.type === "Identifier" && node.property.name === "prototype";
}
