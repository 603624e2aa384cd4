// The interpreter's native CRC32: the standard (zlib) CRC-32, unsigned.
export {};
print(E.CRC32("abc"), E.CRC32("The quick brown fox"), E.CRC32(new Uint8Array([1, 2, 3])));
print(E.CRC32(""), E.CRC32("\xff\x00\x80"));
// expect: 891568578 3074782430 1438416925
// expect: 0 2892066527
