// async/await with try/catch/finally, loops and rejections.
export {};
function delay(ms: number, value: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}
async function sum(n: number): Promise<number> {
  let total = 0;
  for (let i = 1; i <= n; i++) total += await delay(1, i);
  return total;
}
async function guarded(fail: boolean): Promise<string> {
  const steps: string[] = [];
  try {
    steps.push("try");
    await delay(1, 0);
    if (fail) throw new Error("boom");
    steps.push("ok");
  } catch (e) {
    steps.push("catch " + (e as Error).message);
  } finally {
    steps.push("finally");
  }
  return steps.join(",");
}
async function main() {
  print("sum", await sum(4));
  print(await guarded(false));
  print(await guarded(true));
  try {
    await Promise.reject(new Error("rejected"));
  } catch (e) {
    print("caught", (e as Error).message);
  }
  const all = await Promise.all([delay(3, 1), delay(1, 2), Promise.resolve(3)]);
  print("all", all.join(","));
  print("done");
}
main();
// expect: sum 10
// expect: try,ok,finally
// expect: try,catch boom,finally
// expect: caught rejected
// expect: all 1,2,3
// expect: done
