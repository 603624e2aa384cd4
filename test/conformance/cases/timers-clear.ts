// Clearing timers: undefined is refused, no argument clears every timer.
export {};
const fired: string[] = [];
setTimeout(() => fired.push("a"), 20);
try {
  clearTimeout(undefined);
  print("undefined accepted");
} catch (e) {
  print("undefined refused: " + (e as Error).message);
}
clearTimeout(12345);
print("unknown id ignored");
clearTimeout();
setTimeout(() => print("fired after clearTimeout():", fired.length), 60);
// expect: undefined refused: clearTimeout(undefined) not allowed. Use clearTimeout() instead
// expect: unknown id ignored
// expect: fired after clearTimeout(): 0
