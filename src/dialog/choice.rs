//! Reading a numbered pick ("2", "第二个", "选3") in reply to a list of choices.

use crate::text::normalize;

/// The 1-based choice a message picks, if it is nothing but a choice.
pub fn parse_choice(message: &str) -> Option<usize> {
    let normalized = normalize(message);
    let core = normalized
        .trim_start_matches("选")
        .trim_start_matches("第")
        .trim_end_matches('个')
        .trim_end_matches('条');
    let core = core.trim_end_matches("个吧").trim_end_matches('吧').trim();
    if let Ok(number) = core.parse::<usize>() {
        return Some(number);
    }
    let mut chars = core.chars();
    let digit = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    "一二三四五六七八九".chars().position(|c| c == digit).map(|index| index + 1)
}

/// Replies that turn down every offered choice.
const REJECTIONS: [&str; 9] =
    ["都不是", "都不对", "都没有", "以上都不是", "不是这些", "没有我要的", "都不", "不是", "没有"];

/// True when a message, in reply to choices, says none of them fits.
pub fn rejects_choices(message: &str) -> bool {
    let normalized = normalize(message).replace(' ', "");
    let core = normalized.trim_end_matches(['啊', '呀', '哦', '呢', '的']);
    REJECTIONS.contains(&core)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_of_these_rejects_the_choices() {
        assert!(rejects_choices("都不是"));
        assert!(rejects_choices("以上都不是！"));
        assert!(rejects_choices("不是啊"));
        assert!(!rejects_choices("不是这个问题，我想问退款"));
    }

    #[test]
    fn digits_and_chinese_numerals_are_choices() {
        for (message, expected) in [
            ("2", Some(2)),
            (" 3。", Some(3)),
            ("第二个", Some(2)),
            ("选1", Some(1)),
            ("三", Some(3)),
            ("２", Some(2)),
            ("第1条", Some(1)),
            ("第二", Some(2)),
        ] {
            assert_eq!(parse_choice(message), expected, "{message}");
        }
    }

    #[test]
    fn sentences_are_not_choices() {
        for message in ["2件衣服怎么退", "退款", "", "一二", "第"] {
            assert_eq!(parse_choice(message), None, "{message}");
        }
    }
}
