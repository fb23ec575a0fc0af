/**
 * Exact decimal arithmetic on scaled integers: a value is `units / 10^scale` with `units` a bigint.
 * Inputs come from JavaScript numbers through their shortest round-trip decimal form, so 0.97 is
 * exactly 97/100, never the nearest binary double.
 */

export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

const POW10: bigint[] = [];
for (let index = 0; index <= 40; index += 1) POW10.push(10n ** BigInt(index));

/** 10^0 … 10^22, every one an exact double. */
const POW10_NUMBER: number[] = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function pow10(exponent: number): bigint {
  return POW10[exponent] ?? 10n ** BigInt(exponent);
}

/** The exact decimal a finite JavaScript number prints as. */
export function decFromNumber(value: number): Dec {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 53) return { units: BigInt(value), scale: 0 };
  const text = String(value);
  const exponentAt = text.search(/e/i);
  const mantissa = exponentAt === -1 ? text : text.slice(0, exponentAt);
  const exponent = exponentAt === -1 ? 0 : Number(text.slice(exponentAt + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  let scale = (dot === -1 ? 0 : mantissa.length - dot - 1) - exponent;
  let units = BigInt(digits);
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return { units, scale };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.units, b.units, a.scale];
  if (a.scale > b.scale) return [a.units, b.units * pow10(a.scale - b.scale), a.scale];
  return [a.units * pow10(b.scale - a.scale), b.units, b.scale];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

export function sub(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x - y, scale };
}

export function mul(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Divides by 10^n exactly (shifts the scale). */
export function divPow10(a: Dec, n: number): Dec {
  return { units: a.units, scale: a.scale + n };
}

export function compare(a: Dec, b: Dec): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function min(a: Dec, b: Dec): Dec {
  return compare(a, b) <= 0 ? a : b;
}

export function max(a: Dec, b: Dec): Dec {
  return compare(a, b) >= 0 ? a : b;
}

/** Rounds half up (away from zero for the non-negative values scores have) to `places` decimals. */
export function roundHalfUp(a: Dec, places: number): Dec {
  if (a.scale <= places) return a;
  const drop = pow10(a.scale - places);
  const negative = a.units < 0n;
  const magnitude = negative ? -a.units : a.units;
  const rounded = (magnitude * 2n + drop) / (drop * 2n);
  return { units: negative ? -rounded : rounded, scale: places };
}

/** The nearest double to the exact value (for output only; never fed back into arithmetic). */
export function toNumber(a: Dec): number {
  if (a.scale === 0) return Number(a.units);
  // Both operands are exact doubles here, and IEEE division rounds correctly: the nearest double.
  if (a.scale <= 22 && a.units <= MAX_EXACT && a.units >= -MAX_EXACT) return Number(a.units) / POW10_NUMBER[a.scale]!;
  const negative = a.units < 0n;
  const magnitude = (negative ? -a.units : a.units).toString().padStart(a.scale + 1, '0');
  const text = `${magnitude.slice(0, magnitude.length - a.scale)}.${magnitude.slice(magnitude.length - a.scale)}`;
  return Number(negative ? `-${text}` : text);
}

export const ZERO: Dec = { units: 0n, scale: 0 };
export const TEN: Dec = { units: 10n, scale: 0 };
