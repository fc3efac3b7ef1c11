/**
 * Decimal number parsing straight from bytes, and fast scientific formatting into bytes.
 *
 * Parsing uses Clinger's fast path (Clinger 1990, "How to read floating point numbers
 * accurately"): with at most 15 significant digits the decimal mantissa is an exact double, and
 * for |exponent| ≤ 22 the power of ten is exact too, so one multiplication or division gives the
 * correctly rounded value — the same result as Number(text). Anything else (more digits, huge
 * exponents) falls back to Number() on the decoded text, so results are always exact.
 */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const COMMA = 44;
const LOWER_E = 101;
const UPPER_E = 69;

export class ByteNumberParser {
  /** The value parsed by the last successful call. */
  value = 0;
  /** Decimal separator byte ('.' or ','). */
  decimal = DOT;

  /**
   * Parses a number starting at `pos` (no leading blanks) and returns the index just past it, or
   * -1 if the bytes there do not start a number.
   */
  parse(buf: Uint8Array, pos: number, end: number): number {
    let i = pos;
    let negative = false;
    let c = buf[i];
    if (c === MINUS) {
      negative = true;
      i++;
    } else if (c === PLUS) {
      i++;
    }
    let mantissa = 0;
    let significant = 0;
    let exponent = 0;
    let any = false;
    for (; i < end; i++) {
      const d = (buf[i] as number) - 48;
      if (d < 0 || d > 9) break;
      any = true;
      if (significant < 17) {
        mantissa = mantissa * 10 + d;
        if (mantissa !== 0) significant++;
      } else {
        exponent++;
      }
    }
    if (i < end && buf[i] === this.decimal) {
      i++;
      for (; i < end; i++) {
        const d = (buf[i] as number) - 48;
        if (d < 0 || d > 9) break;
        any = true;
        if (significant < 17) {
          mantissa = mantissa * 10 + d;
          if (mantissa !== 0) significant++;
          exponent--;
        }
      }
    }
    if (!any) return -1;
    c = buf[i];
    if (i < end && (c === LOWER_E || c === UPPER_E)) {
      let j = i + 1;
      let expNegative = false;
      if (buf[j] === MINUS) {
        expNegative = true;
        j++;
      } else if (buf[j] === PLUS) {
        j++;
      }
      let e = 0;
      const start = j;
      for (; j < end; j++) {
        const d = (buf[j] as number) - 48;
        if (d < 0 || d > 9) break;
        if (e < 100000) e = e * 10 + d;
      }
      if (j === start) return -1;
      exponent += expNegative ? -e : e;
      i = j;
    }
    if (significant <= 15 && exponent >= -22 && exponent <= 22) {
      const v =
        exponent >= 0 ? mantissa * (POW10[exponent] as number) : mantissa / (POW10[-exponent] as number);
      this.value = negative ? -v : v;
      return i;
    }
    this.value = this.slowPath(buf, pos, i);
    return i;
  }

  private slowPath(buf: Uint8Array, from: number, to: number): number {
    let text = '';
    for (let k = from; k < to; k++) {
      const b = buf[k] as number;
      text += String.fromCharCode(b === this.decimal && this.decimal === COMMA ? DOT : b);
    }
    return Number(text);
  }
}

/**
 * Writes `value` in scientific notation with `digits` significant digits (e.g. -1.234567e-03)
 * into `buf` at `pos`; returns the new position. Needs at most digits + 8 bytes.
 */
export function formatScientific(buf: Uint8Array, pos: number, value: number, digits: number): number {
  let p = pos;
  if (!Number.isFinite(value)) {
    for (const ch of String(value)) buf[p++] = ch.charCodeAt(0);
    return p;
  }
  if (value === 0) {
    buf[p++] = 48;
    return p;
  }
  if (value < 0) {
    buf[p++] = MINUS;
    value = -value;
  }
  let e = Math.floor(Math.log10(value));
  const shift = digits - 1 - e;
  let m = Math.round(shift >= 0 ? value * 10 ** shift : value / 10 ** -shift);
  const limit = 10 ** digits;
  if (m >= limit) {
    m = Math.round(m / 10);
    e++;
  } else if (m < limit / 10) {
    m = Math.round(m * 10);
    e--;
  }
  // Mantissa digits, most significant first.
  const start = p;
  for (let k = digits - 1; k >= 0; k--) {
    buf[start + (k === 0 ? 0 : k + 1)] = 48 + (m % 10);
    m = Math.floor(m / 10);
  }
  if (digits > 1) buf[start + 1] = DOT;
  p = start + (digits > 1 ? digits + 1 : 1);
  buf[p++] = LOWER_E;
  if (e < 0) {
    buf[p++] = MINUS;
    e = -e;
  } else {
    buf[p++] = PLUS;
  }
  if (e >= 100) buf[p++] = 48 + Math.floor(e / 100);
  buf[p++] = 48 + (Math.floor(e / 10) % 10);
  buf[p++] = 48 + (e % 10);
  return p;
}
