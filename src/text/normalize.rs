//! Normalisation: the one function that makes "花唄，怎麼還款？？" and "花呗怎么还款" equal.

use unicode_normalization::UnicodeNormalization;
use zhconv::{Variant, zhconv};

/// Normalises user or knowledge text for matching.
///
/// NFKC (full-width → half-width, compatibility forms), lower case, traditional → simplified
/// Chinese, and every character that is not a letter or digit (punctuation, symbols, emoji,
/// masks like `***`) becomes a separator; runs of separators collapse to one space.
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let simplified = if folded.chars().any(is_cjk) { zhconv(&folded, Variant::ZhHans) } else { folded };
    let mut out = String::with_capacity(simplified.len());
    let mut pending_space = false;
    for c in simplified.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else {
            pending_space = true;
        }
    }
    out
}

/// True for CJK ideographs (the basic block and extension A), the characters jieba segments.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(normalize("ＶＩＰ会员１２３"), "vip会员123");
    }

    #[test]
    fn traditional_chinese_becomes_simplified() {
        assert_eq!(normalize("花唄怎麼還款"), "花呗怎么还款");
    }

    #[test]
    fn punctuation_emoji_and_masks_become_single_spaces() {
        assert_eq!(normalize("  退款！！😭多久到***账？ "), "退款 多久到 账");
    }

    #[test]
    fn latin_words_stay_separated() {
        assert_eq!(normalize("iPhone 15 Pro"), "iphone 15 pro");
    }

    #[test]
    fn empty_and_symbol_only_text_normalises_to_empty() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("？？！！😀"), "");
    }
}
