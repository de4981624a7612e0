//! Reading a slot's value out of what the customer typed: built-in types and regexes.

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use crate::dialog::parse_choice;
use crate::text::normalize;

/// What a slot accepts.
#[derive(Debug, Clone)]
pub enum SlotKind {
    /// Any non-empty text.
    Text,
    /// A number (the first one in the message).
    Number,
    /// A mainland China mobile number.
    Phone,
    /// An order number: the first match of the pattern.
    OrderNumber(Regex),
    /// Yes or no; the value is `yes` or `no`.
    YesNo,
    /// One of the listed options, by number or by name; the value is the option.
    Choice(Vec<String>),
    /// The first match of an operator regex.
    Pattern(Regex),
}

/// The default order-number pattern: an optional letter prefix and 8–24 digits.
pub const DEFAULT_ORDER_NUMBER: &str = r"[A-Za-z]{0,4}\d{8,24}";

const YES: [&str; 16] = [
    "是",
    "是的",
    "对",
    "对的",
    "好",
    "好的",
    "可以",
    "确认",
    "确定",
    "嗯",
    "嗯嗯",
    "没问题",
    "行",
    "ok",
    "yes",
    "y",
];
const NO: [&str; 10] = ["不", "不是", "不对", "否", "不要", "不用", "不行", "不可以", "no", "n"];

impl SlotKind {
    /// The slot value in `message`, if the message holds one.
    pub fn extract(&self, message: &str) -> Option<String> {
        let trimmed = message.trim();
        match self {
            SlotKind::Text => (!normalize(trimmed).is_empty()).then(|| trimmed.to_string()),
            // NFKC only (full-width digits), keeping the decimal point normalisation drops.
            SlotKind::Number => first_number(&trimmed.nfkc().collect::<String>()),
            SlotKind::Phone => {
                let digits: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
                phone_pattern().captures(&digits).and_then(|c| c.get(1)).map(|m| m.as_str().to_string())
            }
            SlotKind::OrderNumber(pattern) | SlotKind::Pattern(pattern) => {
                pattern.find(trimmed).map(|m| m.as_str().to_string())
            }
            SlotKind::YesNo => yes_or_no(trimmed).map(str::to_string),
            SlotKind::Choice(options) => {
                if let Some(number) = parse_choice(trimmed) {
                    return options.get(number.checked_sub(1)?).cloned();
                }
                let said = normalize(trimmed).replace(' ', "");
                options
                    .iter()
                    .find(|option| !said.is_empty() && said.contains(&normalize(option).replace(' ', "")))
                    .cloned()
            }
        }
    }

    /// The options to list under the prompt, for choices.
    pub fn options(&self) -> &[String] {
        match self {
            SlotKind::Choice(options) => options,
            _ => &[],
        }
    }
}

/// `yes` or `no` for a reply that is, or starts with, a yes or no word ("好的谢谢",
/// "确认提交", "不用了"); negative words are tried first, as "不是" starts with "不".
fn yes_or_no(message: &str) -> Option<&'static str> {
    let said = normalize(message).replace(' ', "");
    let said = said.trim_end_matches(['啊', '呀', '吧', '呢', '哦']);
    if NO.contains(&said) {
        return Some("no");
    }
    if YES.contains(&said) {
        return Some("yes");
    }
    // Prefixes only for Chinese words: "no" must not make "nothing" a refusal.
    let starts = |words: &[&str]| words.iter().any(|w| !w.is_ascii() && said.starts_with(w));
    if starts(&NO) {
        Some("no")
    } else if starts(&YES) {
        Some("yes")
    } else {
        None
    }
}

fn phone_pattern() -> &'static Regex {
    static PHONE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PHONE.get_or_init(|| Regex::new(r"(?:^|\D)(1[3-9]\d{9})(?:\D|$)").expect("the phone pattern is valid"))
}

fn first_number(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let number: String = text[start..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    Some(number.trim_end_matches('.').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> SlotKind {
        SlotKind::OrderNumber(Regex::new(r"DD\d{13}").unwrap())
    }

    #[test]
    fn order_numbers_are_found_inside_sentences() {
        assert_eq!(order().extract("我的订单号是 DD2024111900123 麻烦查下"), Some("DD2024111900123".into()));
        assert_eq!(order().extract("我不知道订单号"), None);
    }

    #[test]
    fn phones_ignore_spaces_and_dashes() {
        assert_eq!(SlotKind::Phone.extract("138-1234 5678"), Some("13812345678".into()));
        assert_eq!(SlotKind::Phone.extract("12345678901"), None);
        assert_eq!(SlotKind::Phone.extract("手机是13812345678。"), Some("13812345678".into()));
    }

    #[test]
    fn yes_and_no_in_several_words() {
        for (said, value) in [
            ("好的", Some("yes")),
            ("嗯", Some("yes")),
            ("OK", Some("yes")),
            ("好的谢谢", Some("yes")),
            ("确认提交", Some("yes")),
            ("不用了谢谢", Some("no")),
            ("nothing", None),
            ("不用", Some("no")),
            ("不是啊", Some("no")),
            ("也许吧", None),
        ] {
            assert_eq!(SlotKind::YesNo.extract(said).as_deref(), value, "{said}");
        }
    }

    #[test]
    fn choices_by_number_or_by_name() {
        let kind = SlotKind::Choice(vec!["质量问题".into(), "不想要了".into(), "发错货".into()]);
        assert_eq!(kind.extract("2"), Some("不想要了".into()));
        assert_eq!(kind.extract("是质量问题"), Some("质量问题".into()));
        assert_eq!(kind.extract("4"), None);
        assert_eq!(kind.extract("随便"), None);
    }

    #[test]
    fn numbers_and_text() {
        assert_eq!(SlotKind::Number.extract("买了 3 件"), Some("3".into()));
        assert_eq!(SlotKind::Number.extract("29.9元"), Some("29.9".into()));
        assert_eq!(SlotKind::Text.extract("  ？？ "), None);
        assert_eq!(SlotKind::Text.extract(" 红色那件 "), Some("红色那件".into()));
    }
}
