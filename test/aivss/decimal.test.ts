import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decFromNumber, roundHalfUp, toNumber } from '../../src/aivss/decimal.js';

describe('exact decimals', () => {
  it('reads a number as the decimal it prints as, not its binary double', () => {
    expect(decFromNumber(0.97)).toEqual({ units: 97n, scale: 2 });
    expect(decFromNumber(1e-7)).toEqual({ units: 1n, scale: 7 });
    expect(decFromNumber(12)).toEqual({ units: 12n, scale: 0 });
  });

  it('rounds half up on the exact value: 0.05 -> 0.1 and 8.45 -> 8.5, where doubles would not', () => {
    expect(toNumber(roundHalfUp(decFromNumber(0.05), 1))).toBe(0.1);
    expect(toNumber(roundHalfUp(decFromNumber(8.45), 1))).toBe(8.5);
    expect(toNumber(roundHalfUp(decFromNumber(8.449), 1))).toBe(8.4);
  });

  it('converts back to the nearest double, on the fast path and beyond it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.integer({ min: 0, max: 30 }), (units, scale) => {
        expect(toNumber({ units, scale })).toBe(Number(`${units}e-${scale}`));
      }),
      { numRuns: 2000 },
    );
  });
});
