/**
 * Text from outside as it may appear in an error message: control characters, the replacement
 * character and lone surrogates written as escapes (`\x00`, `\u{fffd}`), and at most `max`
 * characters, so a message never carries binary, a terminal escape sequence or a megabyte of input.
 */
export function printable(text: string, max = 80): string {
  let out = '';
  let count = 0;
  for (const ch of text) {
    if (count >= max) return `${out}…`;
    const code = ch.codePointAt(0) ?? 0;
    const isLoneSurrogate = code >= 0xd800 && code <= 0xdfff;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xfffd || isLoneSurrogate || code === 0x2028 || code === 0x2029)
      out += `\\u{${code.toString(16)}}`;
    else out += ch;
    count++;
  }
  return out;
}
