// Functions called above their declaration: the interpreter does not hoist,
export {};
// the build must (terser hoist_funs), or this fails on the board.
print(twice(4));
function twice(n: number): number { return helper(n) * 2; }
function helper(n: number): number { return n + 1; }
function outer(): string {
  const r = inner();
  function inner(): string { return "inner ran"; }
  return r;
}
print(outer());
// Parameters inlined as vars must be declared before use (var is not hoisted either).
const handlers: (() => number)[] = [];
function register(k: number): void { handlers.push(() => k * 10); }
register(1); register(2);
print(handlers.map((h) => h()).join(","));
// expect: 10
// expect: inner ran
// expect: 10,20
