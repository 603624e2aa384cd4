// What the interpreter lacks, and the instance methods that do work.
export {};
declare const global: any;
print(typeof global.Map, typeof global.Set, typeof global.Symbol, typeof global.Array.from, typeof global.Number.isInteger);
print(typeof global.Array.prototype.slice, typeof global.String.prototype.charCodeAt, typeof global.Function.prototype.apply);
print(typeof [].slice, typeof "".charCodeAt, typeof (function () {}).apply, typeof global.Promise.race);
print(typeof global.Object.freeze, typeof global.Math.imul, typeof global.RangeError);
print(typeof Object.assign, typeof Object.keys, typeof Object.create, typeof Object.prototype.hasOwnProperty);
// expect: undefined undefined undefined undefined undefined
// expect: undefined undefined undefined
// expect: function function function undefined
// expect: undefined undefined undefined
// expect: function function function function
