// Timers return numbers, fire in order, and can be cleared.
export {};
const order: string[] = [];
const t1 = setTimeout(() => order.push("b"), 20);
setTimeout(() => order.push("a"), 5);
const cancelled = setTimeout(() => order.push("never"), 10);
clearTimeout(cancelled);
let ticks = 0;
const iv = setInterval(() => {
  ticks++;
  if (ticks === 3) clearInterval(iv);
}, 5);
print(typeof t1, typeof iv);
setTimeout(() => {
  // An exception in a callback is reported and the event loop goes on.
  setTimeout(() => print("order", order.join(""), "ticks", ticks), 10);
  throw new Error("thrown in a timer");
}, 40);
// expect: number number
// expect: Uncaught Error: thrown in a timer
// expect: order ab ticks 3
