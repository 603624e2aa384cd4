// Regular expressions the gate allows: plain groups, top-level alternation,
// ASCII classes and ranges, anchors, /i and /g (see host/toolchain/gate.ts for
// what the interpreter's engine gets wrong and the gate refuses).
export {};
print(/^(ab)c$/.exec("abc")![1], /cat|dog/.test("hotdog"), /^[\x20-\x7e]+$/.test("plain ASCII"), /^[^,]+$/.test("a,b"));
print("A-b_C".replace(/[A-Z]/g, "*"), /^[a-f]+$/i.test("FACE"), "x1y22z".split(/[0-9]+/).join("|"));
// expect: ab true true false
// expect: *-b_* true x|y|z
