/**
 * Text search that behaves the same on every database: the text and the query are normalized here,
 * in JavaScript, and the database only compares code points (`LIKE … ESCAPE '\'` on a column that
 * holds the normalized text). Neither SQLite's ASCII-only `lower()` nor PostgreSQL's locale-bound
 * one takes part, so "émile", "EMILE" and "Emile" all find "Émile", and `_` and `%` are literal.
 */

/** Letters that compatibility decomposition leaves whole but people type without their mark. */
const FOLDS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ς: 'σ' };
const FOLDABLE = new RegExp(`[${Object.keys(FOLDS).join('')}]`, 'g');
const MARKS = /\p{M}+/gu;
/** Between name and email, so a query cannot match across the two; a search box never sends it. */
const SEPARATOR = '\n';

/**
 * Compatibility-decomposed (NFKD: full-width letters and ligatures become plain ones), accents
 * and other marks stripped, lowercased, a few letters folded. Decomposed again after lowercasing,
 * since lowercasing can itself produce marks ("İ" → "i̇").
 */
export function normalizeForSearch(text: string): string {
  const stripped = (s: string) => s.normalize('NFKD').replace(MARKS, '');
  return stripped(stripped(text).toLowerCase()).replace(FOLDABLE, (c) => FOLDS[c]!);
}

/** What a client's search column holds: their name and email, normalized. */
export function clientSearchText(name: string, email: string): string {
  return `${normalizeForSearch(name)}${SEPARATOR}${normalizeForSearch(email)}`;
}

/** The escape character of `searchPattern`, to pass as `LIKE … ESCAPE`. */
export const LIKE_ESCAPE = '\\';

/** A `LIKE` pattern that finds `query` anywhere in a search column, its `%`, `_` and `\` taken literally. */
export function searchPattern(query: string): string {
  return `%${normalizeForSearch(query).replace(/[\\%_]/g, (c) => `${LIKE_ESCAPE}${c}`)}%`;
}
