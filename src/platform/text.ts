/**
 * Text every database stores as given (issue 9): no NUL, which PostgreSQL text cannot hold, and
 * no lone UTF-16 surrogate, which PostgreSQL would store as U+FFFD and SQLite as given, so the
 * two would disagree. The HTTP edge refuses such input (http/input.ts); code that decodes text of
 * its own (a header's base64 JSON, a token's claims) asks here.
 */

/** A surrogate that is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for text every database stores as given: no NUL, no lone surrogate. */
export function storableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** Whether text holds a C0 control character or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
