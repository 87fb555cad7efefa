// DynamoDB numbers as exact decimals: parsing, validation (38 significant digits, magnitude
// 1E-130 to 9.99…E+125), canonical text, comparison and addition. Never uses JS floats.

/** A decimal `0.` or `±d1.d2d3… × 10^exp`; `digits` has no leading or trailing zeros ('' is zero). */
export interface Decimal {
  neg: boolean;
  digits: string;
  exp: number;
}

export const ZERO: Decimal = { neg: false, digits: '', exp: 0 };

const NUMBER_RE = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

export class NumberError extends Error {}

/** Parses a DynamoDB number string; throws NumberError with DynamoDB's message. */
export function parseNumber(text: string): Decimal {
  const m = NUMBER_RE.exec(text);
  if (text === '' || text === undefined || text === null) throw new NumberError('The parameter cannot be converted to a numeric value');
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new NumberError(`The parameter cannot be converted to a numeric value: ${text}`);
  }
  const intPart = m[2]!;
  const fracPart = m[3] ?? '';
  const exp10 = m[4] ? Number(m[4]) : 0;
  let all = intPart + fracPart;
  // value = all × 10^(exp10 - fracPart.length)
  let lead = 0;
  while (lead < all.length && all[lead] === '0') lead++;
  all = all.slice(lead);
  if (all === '') return ZERO;
  let trail = all.length;
  while (trail > 0 && all[trail - 1] === '0') trail--;
  const digits = all.slice(0, trail);
  // position of first significant digit: the integer value of `all` has all.length digits
  const exp = all.length - 1 + exp10 - fracPart.length;
  const d: Decimal = { neg: m[1] === '-', digits, exp };
  checkRange(d);
  return d;
}

export function checkRange(d: Decimal): void {
  if (d.digits === '') return;
  if (d.exp > 125) throw new NumberError('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (d.exp < -130) throw new NumberError('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  if (d.digits.length > 38) throw new NumberError('Attempting to store more than 38 significant digits in a Number');
}

/** Canonical text as DynamoDB returns it: plain notation, no exponent, no redundant zeros. */
export function formatNumber(d: Decimal): string {
  if (d.digits === '') return '0';
  const sign = d.neg ? '-' : '';
  const n = d.digits.length;
  if (d.exp >= n - 1) return sign + d.digits + '0'.repeat(d.exp - (n - 1));
  if (d.exp >= 0) return sign + d.digits.slice(0, d.exp + 1) + '.' + d.digits.slice(d.exp + 1);
  return sign + '0.' + '0'.repeat(-d.exp - 1) + d.digits;
}

/** Validates and canonicalizes a number string. */
export function normalizeNumber(text: string): string {
  return formatNumber(parseNumber(text));
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const sa = a.digits === '' ? 0 : a.neg ? -1 : 1;
  const sb = b.digits === '' ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  let c: number;
  if (a.exp !== b.exp) c = a.exp < b.exp ? -1 : 1;
  else c = a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  return sa < 0 ? -c : c;
}

export function compareNumbers(a: string, b: string): number {
  return compareDecimal(parseNumber(a), parseNumber(b));
}

function toScaled(d: Decimal): { m: bigint; scale: number } {
  // value = m × 10^scale
  if (d.digits === '') return { m: 0n, scale: 0 };
  const m = BigInt(d.digits);
  return { m: d.neg ? -m : m, scale: d.exp - (d.digits.length - 1) };
}

function fromScaled(m: bigint, scale: number): Decimal {
  if (m === 0n) return ZERO;
  const neg = m < 0n;
  const text = (neg ? -m : m).toString();
  return parseNumber(`${neg ? '-' : ''}${text}e${scale}`);
}

/** Exact sum (or difference when `subtract`), validated against DynamoDB's limits. */
export function addNumbers(a: string, b: string, subtract = false): string {
  const x = toScaled(parseNumber(a));
  const y = toScaled(parseNumber(b));
  const scale = Math.min(x.scale, y.scale);
  const mx = x.m * 10n ** BigInt(x.scale - scale);
  let my = y.m * 10n ** BigInt(y.scale - scale);
  if (subtract) my = -my;
  return formatNumber(fromScaled(mx + my, scale));
}
