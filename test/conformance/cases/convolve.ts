// E.convolve(arr1, arr2, offset): sum of arr1[i] * arr2[(i + offset) mod arr2.length]
// in doubles. The offset is an int32 (truncated, wrapped at 2^32, taken modulo
// arr2's length, negative counted from the end); strings read as signed bytes
// on the Linux build; undefined is NaN; Uint32 elements read as signed.
export {};
const a = [1, 2, 3], b = [4, 5, 6];
print("offsets", E.convolve(a, b, 0), E.convolve(a, b, 1), E.convolve(a, b, 2), E.convolve(a, b, 3));
print("negative", E.convolve(a, b, -1), E.convolve(a, b, -3), E.convolve(a, b, -4));
const unit = [1, 0, 0, 0, 0, 0, 0], seven = [0, 1, 2, 3, 4, 5, 6];
print("int32", E.convolve(unit, seven, 2147483648), E.convolve(unit, seven, 4294967299), E.convolve(unit, seven, -2147483649), E.convolve(unit, seven, 1e20));
print("fractional", E.convolve(a, b, 1.7), E.convolve(a, b, -1.7), E.convolve(a, b, NaN));
print("wraps", E.convolve([1, 2, 3, 4, 5], [10, 20], 0), E.convolve([1, 2, 3, 4, 5], [10, 20], 1));
const big = new Float64Array([4194303, 4194303]);
print("exact", E.convolve(big, big, 0), typeof E.convolve(big, big, 0));
print("typed", E.convolve(new Uint8Array([255, 1]), new Int8Array([-1, 2]), 0), E.convolve(new Uint32Array([4294967295]), [1], 0));
print("view", E.convolve(new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4), [1, 10, 100], 0));
print("strings", E.convolve("ab", [1, 1000], 0), E.convolve("\xff\x80", [1, 1000], 0));
print("undefined", E.convolve([1, undefined, 3] as unknown as number[], [1, 1, 1], 0), "empty", E.convolve([], [1], 0));
try {
  E.convolve(5 as unknown as number[], [1], 0);
} catch (e) {
  print("not iterable", (e as Error).message);
}
// expect: offsets 32 29 29 32
// expect: negative 29 32 29
// expect: int32 5 3 1 0
// expect: fractional 29 29 32
// expect: wraps 210 240
// expect: exact 35184355311618 number
// expect: typed -253 -1
// expect: view 321
// expect: strings 98097 -128001
// expect: undefined NaN empty 0
// expect: not iterable Expecting first 2 arguments to be iterable, not Number and Array
