/**
 * Rounding a double to one decimal, half to even, on its exact binary value: what Python's
 * `round(x, 1)` does, so `float-half-even` reproduces directories that compute in doubles.
 */

const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double as mantissa × 2^exponent. */
function decompose(value: number): { mantissa: bigint; exponent: number } {
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** Rounds a non-negative finite double to one decimal, ties (exact in binary) to even. */
export function roundHalfEvenDouble(value: number): number {
  if (value < 0) return -roundHalfEvenDouble(-value);
  const { mantissa, exponent } = decompose(value);
  const scaled = mantissa * 10n;
  let tenths: bigint;
  if (exponent >= 0) {
    tenths = scaled << BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    const quotient = scaled >> shift;
    const remainder = scaled - (quotient << shift);
    const twice = remainder << 1n;
    const unit = 1n << shift;
    tenths = twice > unit || (twice === unit && (quotient & 1n) === 1n) ? quotient + 1n : quotient;
  }
  return Number(tenths) / 10;
}
