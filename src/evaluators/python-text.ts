/** Python's str.split() and str.rstrip() whitespace, which the reference scorers use; JavaScript's \s differs (it has U+FEFF, lacks U+001C..U+001F and U+0085). */

const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`);
const TRAILING_WHITESPACE = new RegExp(`[${PYTHON_WHITESPACE}]+$`);

/** Python's `text.split()`: runs of whitespace separate, no empty tokens. */
export function splitWhitespace(text: string): string[] {
  return text.split(WHITESPACE_RUN).filter((token) => token.length > 0);
}

/** Python's `text.rstrip()`. */
export function stripTrailingWhitespace(text: string): string {
  return text.replace(TRAILING_WHITESPACE, '');
}
