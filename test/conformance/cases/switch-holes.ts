// Array holes inside switch cases that are skipped (emitted by async state machines).
export {};
function pick(n: number): string {
  switch (n) {
    case 0: { const arr = [1, , 3]; return "zero " + arr.length; }
    case 1: return "one";
    default: return "other";
  }
}
print(pick(1), pick(0), pick(7));
// expect: one zero 3 other
