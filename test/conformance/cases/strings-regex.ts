// String methods and the regular expressions the firmware uses. A `/` inside
// a character class must be escaped: the interpreter's lexer ends the literal there.
export {};
const topic = "$aws/things/board-1/jobs/notify-next";
print(topic.split("/").length, topic.indexOf("jobs"), topic.startsWith("$aws/"), topic.includes("notify"));
print("7".padStart(3, "0"), "a-b_c".replace(/[-_]/g, "+"), "AbC".toLowerCase(), " x ".trim() + "|");
print(/^[0-9a-fA-F]+$/.test("0123abcDEF"), /^[0-9a-fA-F]+$/.test("xyz"), /^https:\/\//.test("https://h/p"));
const m = /^([a-z]+):\/\/([^\/]+)(\/.*)$/.exec("https://host:8443/a/b?c=1");
print(m ? m[1] + " " + m[2] + " " + m[3] : "no match");
print(/^[a-z]+$/i.test("AbC"), "a,b,,c".split(",").length, ["x", "y"].join("-"));
// expect: 5 20 true true
// expect: 007 a+b+c abc x|
// expect: true false true
// expect: https host:8443 /a/b?c=1
// expect: true 4 x-y
