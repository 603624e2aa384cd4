import { layout, firmwareVersion } from "virtual:build";

class Base { constructor(public name: string) {} hello() { return "hi " + this.name; } }
class Child extends Base { hello() { return super.hello() + "!"; } }
async function work(x: number): Promise<number> {
  try { await Promise.resolve(1); if (x > 1) throw new Error("big"); return x; } catch (e) { return -1; }
}
const parts = [1, 2];
const all = [...parts, 3];
const { name } = new Child("a");
print("app " + firmwareVersion + " on " + layout.name + " " + new Child(name).hello() + " " + all.join(","));
work(1).then((v) => print("work " + v));
work(5).then((v) => print("work " + v));
