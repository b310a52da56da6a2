/**
 * Which characters a name or a search term may hold, decided by Unicode general category (decision 0028), so that
 * nothing shown on a page, in a log or in a terminal can hide, reorder or fake text, or look empty.
 */

/**
 * Refused anywhere in the text: control characters (Cc: C0, DEL, C1), format characters (Cf: text-direction marks
 * and overrides such as U+200F, zero-width spaces U+200B, the BOM, soft hyphens, tag characters U+E0000–U+E007F),
 * lone surrogates (Cs), private use (Co: U+E000…, whose look depends on a font), unassigned code points and
 * noncharacters (Cn: U+FFFF, U+FDD0…), and the line and paragraph separators (Zl, Zp), which break a line like a
 * newline. Two format characters are spelling, not tricks, and pass: the zero-width non-joiner U+200C (Persian,
 * Indic scripts) and the zero-width joiner U+200D (those scripts, and emoji sequences such as 👩‍💻).
 */
const REFUSED_CHARACTER = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?![\u200C\u200D])\p{Cf}/u

/**
 * A character that shows: a letter, number, punctuation or symbol that renderers do not skip. Default-ignorable
 * characters (the Hangul fillers U+3164 and U+FFA0, variation selectors such as U+FE0F, the joiners) may stand
 * beside one (❤️ is U+2764 U+FE0F), never alone, and whitespace is trimmed first.
 */
const VISIBLE_CHARACTER = /(?!\p{Default_Ignorable_Code_Point})[\p{L}\p{N}\p{P}\p{S}]/u

export const REFUSED_CHARACTER_MESSAGE =
  'must not contain control, format (such as text-direction or zero-width), private-use or unassigned characters'
export const INVISIBLE_TEXT_MESSAGE = 'must contain a visible character'

/** True when the text holds a character no name or search term may hold (see REFUSED_CHARACTER). */
export function hasRefusedCharacter(text: string): boolean {
  return REFUSED_CHARACTER.test(text)
}

/** True when the text is empty or shows at least one character: text made only of fillers and joiners is not. */
export function isEmptyOrVisible(text: string): boolean {
  return text === '' || VISIBLE_CHARACTER.test(text)
}
