// 32-bit integer arithmetic as MD5 and CRC code uses it.
export {};
print((0xffffffff | 0), (0xffffffff >>> 0), (1 << 31), (-1 >>> 0));
print(((0x7fffffff + 1) | 0), ((0x12345678 << 4) | 0), (0x87654321 >>> 28));
const rotl = (x: number, c: number) => (x << c) | (x >>> (32 - c));
print(rotl(0x80000001, 1) >>> 0, rotl(0x12345678, 8) >>> 0);
print(((0xffffffff + 0xffffffff) | 0), ((0x10000 * 0x10000) | 0), (~0x0f) & 0xff);
const v = new Int32Array(new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).buffer);
print(v[0], v[1], v.length);
// expect: -1 4294967295 -2147483648 4294967295
// expect: -2147483648 591751040 8
// expect: 3 878082066
// expect: -2 0 240
// expect: 1 -1 2
