// Object helpers and accessors the firmware uses.
export {};
const base = { a: 1 };
const o = Object.assign({}, base, { b: 2 });
print(JSON.stringify(o), Object.keys(o).join(","), JSON.stringify(Object.entries(o)));
const proto = { greet(): string { return "hi " + (this as any).name; } };
const child = Object.create(proto);
child.name = "c";
print(child.greet(), Object.prototype.hasOwnProperty.call(child, "greet"));
const counter = { n: 0, get double(): number { return this.n * 2; } };
counter.n = 4;
print(counter.double);
const box: any = {};
Object.defineProperty(box, "v", { get: () => 42 });
print(box.v);
let n = 0;
for (const k in { p: 1, q: 2 }) n += k.length;
print(n, [3, 1, 2].sort((x, y) => x - y).join(""), [1, 2, 3].filter((x) => x > 1).map((x) => x * 2).join(","));
print([1, 2, 3].indexOf(2), [1, 2, 3].includes(3), [5, 6].find((x) => x > 5), [1, 2].reduce((s, x) => s + x, 0));
// expect: {"a":1,"b":2} a,b [["a",1],["b",2]]
// expect: hi c false
// expect: 8
// expect: 42
// expect: 2 123 4,6
// expect: 1 true 6 3
