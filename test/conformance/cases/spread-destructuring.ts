// Spread, rest and destructuring, compiled away by the build.
export {};
function total(...values: number[]): number {
  let t = 0;
  for (const v of values) t += v;
  return t;
}
const a = [1, 2];
const b = [...a, 3, ...[4]];
print(b.join(","), total(...b), total());
const { x, y = 5, ...rest } = { x: 1, p: 2, q: 3 } as { x: number; y?: number; p: number; q: number };
print(x, y, JSON.stringify(rest));
const [first, , third] = ["a", "b", "c"];
print(first + third);
const merged = { ...{ k: 1 }, j: 2 };
print(JSON.stringify(merged));
function opts({ port = 8883, host }: { port?: number; host: string }): string { return host + ":" + port; }
print(opts({ host: "h" }));
// expect: 1,2,3,4 10 0
// expect: 1 5 {"p":2,"q":3}
// expect: ac
// expect: {"k":1,"j":2}
// expect: h:8883
