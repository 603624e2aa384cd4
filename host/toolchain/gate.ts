// The Espruino compatibility gate: finds, in a finished script, what the
// interpreter rejects or lacks (see docs/interpreter.md). It reads the
// code as text, so it can judge any bundle, fixture or script the simulator
// is asked to run.
import * as acorn from "acorn";
import { ancestor, base, simple, type AncestorVisitors } from "acorn-walk";

export interface Finding {
  line: number; // 1-based
  column: number; // 0-based
  reason: string;
}

/** Syntax the interpreter refuses to parse or run (acorn node type → why). */
const REJECTED_SYNTAX = new Map<string, string>(Object.entries({
  ObjectPattern: "destructuring is not supported",
  ArrayPattern: "destructuring is not supported",
  SpreadElement: "spread is not supported",
  RestElement: "rest parameters/elements are not supported",
  AssignmentPattern: "default parameters are not supported",
  AwaitExpression: "async/await is not supported",
  YieldExpression: "generators are not supported",
  ChainExpression: "optional chaining (?.) is not supported",
  LabeledStatement: "labelled statements (labelled break/continue) are not supported",
  PropertyDefinition: "class fields are not supported",
  PrivateIdentifier: "private class members are not supported",
  ImportExpression: "dynamic import() is not supported",
  ImportDeclaration: "ES modules are not supported: use require()",
  ExportNamedDeclaration: "ES modules are not supported",
  ExportDefaultDeclaration: "ES modules are not supported",
  ExportAllDeclaration: "ES modules are not supported",
  MetaProperty: "new.target / import.meta are not supported",
}));

/** Regular expression syntax the interpreter's engine gets wrong (measured: no error, wrong result). */
const UNSUPPORTED_REGEX: [RegExp, string][] = [
  [/(^|[^\\])\{\d/, "counted repetition {n} / {n,m} never matches: repeat the atom or check lengths in code"],
  [/(^|[^\\])\//, "an unescaped / (inside a character class) ends the literal on the interpreter: write \\/"],
  [/\([^)]*\|/, "alternation inside a group ((a|b)…) matches wrongly (wrong captures, or no match when more pattern follows): use separate tests"],
  [/\\x[89a-fA-F][0-9a-fA-F]|\\u(?!00[0-7])[0-9a-fA-F]{4}/, "character classes compare signed bytes, so a range or class using \\x80 and above is wrong: test charCodeAt in code"],
  [/\(\?/, "groups starting with (? (non-capturing, lookaround, named) never match: use plain (…) groups"],
  // An atom (escape, class or character) followed by an unescaped ?, outside classes.
  [/^(\\.|\[(\\.|[^\]\\])*\]|[^\\[?])*(\\.|\[(\\.|[^\]\\])*\]|[^\\[?(])\?/, "the ? quantifier is not supported (the engine knows only * and +): test the optional part in code"],
  [/\$\{|\\\$\\\{/, "a literal \"${\" in a regex literal is misparsed as a template: build it with new RegExp or match in code"],
];

/** Globals the interpreter does not have. */
const MISSING_GLOBALS = new Set([
  "RangeError", "EvalError", "URIError", "Intl", "escape", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Proxy", "Reflect",
  "TextEncoder", "TextDecoder", "Iterator", "BigInt", "queueMicrotask",
  "structuredClone", "Buffer", "FinalizationRegistry",
]);

/** Static members of built-ins the interpreter does not have. */
const MISSING_MEMBERS = new Map<string, string[]>(Object.entries({
  Array: ["from", "of"],
  Number: ["isInteger", "isSafeInteger", "isFinite", "isNaN", "parseFloat", "parseInt", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "EPSILON"],
  Math: ["imul", "clz32", "fround", "trunc", "log2", "log10", "hypot", "cbrt"],
  Object: ["freeze", "isFrozen", "seal", "isSealed", "preventExtensions", "is", "getOwnPropertySymbols"],
  Date: ["UTC"],
  String: ["raw", "fromCodePoint"],
  Promise: ["race", "allSettled", "any"],
}));

/** Instance methods the interpreter lacks, whatever the object. */
const MISSING_METHODS = new Map([
  ["finally", "Promise#finally is not supported: use then(f, f)"],
  ...["reduceRight", "lastIndexOf", "flat", "flatMap", "copyWithin", "findLast", "trimStart", "trimEnd", "codePointAt",
    "normalize", "localeCompare", "toPrecision", "toExponential", "isPrototypeOf", "propertyIsEnumerable"]
    .map((m): [string, string] => [m, `.${m}() does not exist on the interpreter (on strings, even reading it throws)`]),
]);

/** Built-ins whose prototype methods cannot be reached as X.prototype.m. */
const BUILTIN_CONSTRUCTORS = new Set([
  "Array", "String", "Function", "Number", "Boolean", "Object", "Date", "RegExp",
  "Promise", "Error", "ArrayBuffer", "Uint8Array", "Int8Array", "Uint16Array",
  "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "DataView",
]);
/** The few prototype members measured to be reachable. */
const REACHABLE_PROTOTYPE_MEMBERS = new Set(["Object.prototype.hasOwnProperty"]);

type Node = acorn.Node & Record<string, any>;

export function checkEspruinoCompat(code: string): Finding[] {
  let program: Node;
  try {
    program = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true }) as Node;
  } catch (err) {
    const e = err as SyntaxError & { loc?: { line: number; column: number } };
    return [{ line: e.loc?.line ?? 1, column: e.loc?.column ?? 0, reason: `syntax error: ${e.message}` }];
  }
  const findings: Finding[] = [];
  const report = (node: Node, reason: string) =>
    findings.push({ line: node.loc!.start.line, column: node.loc!.start.column, reason });

  const declared = collectDeclaredNames(program);
  const visitors: Record<string, (node: acorn.Node, state: unknown, ancestors: acorn.Node[]) => void> = {};
  for (const [type, reason] of REJECTED_SYNTAX) {
    visitors[type] = (node) => report(node as Node, reason);
  }
  const visitFunction = (node: Node) => {
    if (node.async) report(node, "async functions are not supported");
    if (node.generator) report(node, "generators are not supported");
  };
  visitors.FunctionDeclaration = visitFunction;
  visitors.FunctionExpression = visitFunction;
  visitors.ArrowFunctionExpression = visitFunction;
  visitors.BinaryExpression = (node) => {
    if ((node as Node).operator === "**") report(node as Node, "the ** operator is not supported: use Math.pow");
  };
  visitors.AssignmentExpression = (node) => {
    if ((node as Node).operator === "**=") report(node as Node, "the **= operator is not supported: use Math.pow");
  };
  visitors.Property = (node, _state, ancestors) => {
    const parent = (ancestors as Node[])[ancestors.length - 2];
    if ((node as Node).computed && parent?.type === "ObjectExpression") {
      report(node as Node, "computed keys in object literals ({[k]: v}) are not supported");
    }
  };
  visitors.Literal = (node) => {
    const regex = (node as Node).regex as { pattern: string; flags: string } | undefined;
    if (!regex) return;
    for (const [pattern, why] of UNSUPPORTED_REGEX) {
      if (pattern.test(regex.pattern)) report(node as Node, `regular expression /${regex.pattern}/: ${why}`);
    }
    if (/[suyvd]/.test(regex.flags)) report(node as Node, `regular expression flag(s) "${regex.flags}" are not supported (only g, i, m)`);
  };
  visitors.ArrayExpression = (node) => {
    if ((node as Node).elements.some((el: Node | null) => el === null)) {
      report(node as Node, "array literal with a hole (e.g. [a, , b]) fails inside skipped switch cases");
    }
  };
  visitors.Identifier = (node, _state, ancestors) => {
    const id = node as Node;
    if (!MISSING_GLOBALS.has(id.name) || declared.has(id.name)) return;
    if (!isReference(id, ancestors as Node[])) return;
    if (isFeatureDetected(ancestors as Node[])) return;
    report(id, `${id.name} does not exist on the interpreter`);
  };
  visitors.MemberExpression = (node, _state, ancestors) => {
    const m = node as Node;
    const name = memberName(m);
    if (name === undefined || isTypeofOperand(ancestors as Node[]) || isFeatureDetected(ancestors as Node[])) return;
    const object = m.object as Node;
    if (object.type === "Identifier" && !declared.has(object.name)) {
      if (MISSING_MEMBERS.get(object.name)?.includes(name)) {
        report(m, `${object.name}.${name} does not exist on the interpreter`);
      }
    }
    const missingMethod = MISSING_METHODS.get(name);
    if (missingMethod) report(m, missingMethod);
    if (object.type === "MemberExpression" && memberName(object) === "prototype") {
      const ctor = object.object as Node;
      if (ctor.type === "Identifier" && BUILTIN_CONSTRUCTORS.has(ctor.name) && !declared.has(ctor.name)) {
        const path = `${ctor.name}.prototype.${name}`;
        if (!REACHABLE_PROTOTYPE_MEMBERS.has(path)) {
          report(m, `${path} is undefined on the interpreter (built-in methods are only reachable on instances, e.g. [].slice)`);
        }
      }
    }
  };
  ancestor(program, visitors as AncestorVisitors<unknown>, { ...base, PropertyDefinition: base.PropertyDefinition ?? (() => {}) });

  findUsesBeforeDeclaration(program, report);
  findUsesBeforeVar(program, report);
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

function memberName(m: Node): string | undefined {
  if (!m.computed && m.property.type === "Identifier") return m.property.name;
  if (m.computed && m.property.type === "Literal" && typeof m.property.value === "string") return m.property.value;
  return undefined;
}

/** True when the identifier is read as a variable (not a property key or label). */
function isReference(id: Node, ancestors: Node[]): boolean {
  const parent = ancestors[ancestors.length - 2];
  if (!parent) return true;
  if (parent.type === "MemberExpression" && parent.property === id && !parent.computed) return false;
  if (parent.type === "Property" && parent.key === id && !parent.computed && !parent.shorthand) return false;
  if (parent.type === "MethodDefinition" && parent.key === id) return false;
  if (parent.type === "UnaryExpression" && parent.operator === "typeof") return false;
  return true;
}

/**
 * Code that only runs after a `typeof` test (feature detection, as tslib's
 * helpers do) may mention what the interpreter lacks.
 */
function isFeatureDetected(ancestors: Node[]): boolean {
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const node = ancestors[i];
    const child = ancestors[i + 1];
    const guard =
      (node.type === "LogicalExpression" && node.operator === "&&" && child === node.right && node.left) ||
      ((node.type === "ConditionalExpression" || node.type === "IfStatement") && child !== node.test && node.test);
    if (guard && containsTypeof(guard)) return true;
  }
  return false;
}

function containsTypeof(node: Node): boolean {
  let found = false;
  ancestor(node, { UnaryExpression: (n) => { if ((n as Node).operator === "typeof") found = true; } });
  return found;
}

/** Every name declared anywhere (var, let, const, function, class, parameter). */
function collectDeclaredNames(program: Node): Set<string> {
  const names = new Set<string>();
  const addPattern = (p: Node | null) => {
    if (!p) return;
    if (p.type === "Identifier") names.add(p.name);
    else if (p.type === "AssignmentPattern") addPattern(p.left);
    else if (p.type === "RestElement") addPattern(p.argument);
    else if (p.type === "ArrayPattern") p.elements.forEach(addPattern);
    else if (p.type === "ObjectPattern") p.properties.forEach((prop: Node) => addPattern(prop.value ?? prop.argument));
  };
  const addFunction = (fn: Node) => {
    if (fn.id) names.add(fn.id.name);
    fn.params.forEach(addPattern);
  };
  ancestor(program, {
    VariableDeclarator: (n) => addPattern((n as Node).id),
    FunctionDeclaration: (n) => addFunction(n as Node),
    FunctionExpression: (n) => addFunction(n as Node),
    ArrowFunctionExpression: (n) => addFunction(n as Node),
    ClassDeclaration: (n) => names.add((n as Node).id.name),
    CatchClause: (n) => addPattern((n as Node).param),
  });
  return names;
}

/**
 * The interpreter does not hoist function declarations: in each body, a name
 * used before its `function` statement runs is undefined there. Uses inside
 * nested functions are fine, since those run later.
 */
function findUsesBeforeDeclaration(program: Node, report: (node: Node, reason: string) => void): void {
  const checkBody = (statements: Node[]) => {
    const pending = new Map<string, Node>();
    statements.forEach((s) => {
      if (s.type === "FunctionDeclaration") pending.set(s.id.name, s);
    });
    for (const statement of statements) {
      if (statement.type === "FunctionDeclaration") {
        pending.delete(statement.id.name);
        continue;
      }
      if (pending.size === 0) return;
      forEachEagerIdentifier(statement, (id) => {
        if (pending.has(id.name)) {
          report(id, `function ${id.name} is used before its declaration (the interpreter does not hoist functions)`);
        }
      });
    }
  };
  const bodies = (node: Node) => {
    if (node.type === "Program" || node.type === "BlockStatement" || node.type === "StaticBlock") checkBody(node.body);
    if (node.type === "SwitchCase") checkBody(node.consequent);
  };
  ancestor(program, { Program: bodies, BlockStatement: bodies, SwitchCase: bodies, StaticBlock: bodies } as AncestorVisitors<unknown>);
}

/** Identifiers evaluated when the statement runs, skipping nested function bodies. */
const skipNestedFunctions = {
  ...base,
  FunctionExpression: () => {},
  ArrowFunctionExpression: () => {},
  FunctionDeclaration: () => {},
};

function forEachEagerIdentifier(statement: Node, visit: (id: Node) => void): void {
  ancestor(statement, {
    Identifier: (n, _s, ancestors) => { if (isReference(n as Node, ancestors as Node[]) || isTypeofOperand(ancestors as Node[])) visit(n as Node); },
    // Assignment targets (and declared names) are walked as patterns, not identifiers.
    VariablePattern: (n: acorn.Node) => { if ((n as Node).type === "Identifier") visit(n as Node); },
  } as AncestorVisitors<unknown>, skipNestedFunctions);
}

function isTypeofOperand(ancestors: Node[]): boolean {
  const parent = ancestors[ancestors.length - 2];
  return parent?.type === "UnaryExpression" && parent.operator === "typeof";
}

/**
 * The interpreter does not hoist `var` either: until the `var` statement has
 * run, the name still means the outer variable, so `x = 1; var x;` writes the
 * outer `x`. Reports any use of a function's own var before its first
 * declaration in source order (uses in nested functions run later: fine).
 */
function findUsesBeforeVar(program: Node, report: (node: Node, reason: string) => void): void {
  const checkFunction = (body: Node, params: Node[]) => {
    const firstDeclaration = new Map<string, number>();
    const paramNames = new Set(params.filter((p) => p.type === "Identifier").map((p) => p.name));
    ancestor(body, {
      VariableDeclaration: (n) => {
        const decl = n as Node;
        if (decl.kind !== "var") return;
        for (const d of decl.declarations) {
          if (d.id.type === "Identifier" && !paramNames.has(d.id.name) && !firstDeclaration.has(d.id.name)) {
            firstDeclaration.set(d.id.name, d.id.start);
          }
        }
      },
    }, skipNestedFunctions);
    if (firstDeclaration.size === 0) return;
    forEachEagerIdentifier(body, (id) => {
      const declaredAt = firstDeclaration.get(id.name);
      if (declaredAt !== undefined && id.start < declaredAt) {
        report(id, `${id.name} is used before its var statement (the interpreter does not hoist var: this reaches the outer ${id.name})`);
      }
    });
  };
  checkFunction(program, []);
  simple(program, {
    Function: (n: acorn.Node) => {
      const fn = n as Node;
      if (fn.body.type === "BlockStatement") checkFunction(fn.body, fn.params);
    },
  });
}
