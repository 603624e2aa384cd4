// Classes with extends, super calls, static methods and instanceof.
export {};
class Shape {
  constructor(public name: string) {}
  describe(): string { return this.name + " with area " + this.area(); }
  area(): number { return 0; }
  static unit(): Shape { return new Square(1); }
}
class Square extends Shape {
  constructor(private side: number) { super("square"); }
  area(): number { return this.side * this.side; }
  describe(): string { return "[" + super.describe() + "]"; }
}
const s = new Square(3);
print(s.describe());
print(s instanceof Square, s instanceof Shape);
print(Shape.unit().describe());
// expect: [square with area 9]
// expect: true true
// expect: [square with area 1]
