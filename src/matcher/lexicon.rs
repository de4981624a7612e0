//! General Chinese word lists the features use: function words, question-word classes,
//! negations. They describe the language of customer questions, not any one shop.

/// Function words left out of word-overlap features (they match everything).
pub const STOP_WORDS: [&str; 65] = [
    "一", "一下", "一个", "上", "下", "与", "个", "么", "也", "了", "些", "从", "他", "他们", "会", "你",
    "你们", "再", "到", "又", "及", "向", "吗", "吧", "呀", "呢", "和", "哈", "哦", "啊", "啥", "啦", "喔",
    "嘛", "噢", "在", "她", "它", "对", "就", "您", "想", "我", "我们", "或", "把", "是", "有", "用", "的",
    "给", "被", "要", "让", "请", "请问", "还", "这", "这个", "这里", "那", "那个", "那里", "都", "里",
];

/// Question-word classes: two texts asking "how" vs "why" about the same thing differ.
const QUESTION_CLASSES: [&[&str]; 8] = [
    &["怎么", "如何", "咋", "怎样", "方法", "步骤", "流程", "怎么办", "怎么弄", "操作"],
    &["为什么", "为啥", "为何", "怎么回事", "原因", "咋回事", "为毛", "为神马"],
    &["能不能", "可不可以", "能否", "可否", "可以", "能", "行不行", "允许"],
    &["多少", "几", "多大", "多高", "多少钱", "费用", "收费"],
    &["什么时候", "何时", "多久", "几点", "几号", "哪天", "多长时间", "时间"],
    &["哪里", "哪儿", "在哪", "何处", "入口", "位置"],
    &["什么意思", "是什么", "啥意思", "什么是"],
    &["是不是", "是否", "有没有", "会不会", "要不要"],
];

/// Negations: "能退" and "不能退" are different questions.
const NEGATIONS: [&str; 7] = ["不", "没", "无法", "未", "别", "非", "无"];

/// True for a function word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The question-word classes present in `text`, one bit per class.
pub fn question_classes(text: &str) -> u8 {
    QUESTION_CLASSES
        .iter()
        .enumerate()
        .filter(|(_, words)| words.iter().any(|word| text.contains(word)))
        .fold(0, |bits, (class, _)| bits | (1 << class))
}

/// True when `text` reads as a question: a question word, or a question particle or mark
/// at its end.
pub fn is_question(text: &str) -> bool {
    let end = text.trim_end();
    question_classes(end) != 0 || ["?", "？", "吗", "么", "呢", "不"].iter().any(|mark| end.ends_with(mark))
}

/// True when `text` contains a negation.
pub fn has_negation(text: &str) -> bool {
    NEGATIONS.iter().any(|word| text.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_classes_tell_how_from_why() {
        assert_ne!(question_classes("怎么退款"), question_classes("为什么退款"));
        assert_eq!(question_classes("如何退款"), question_classes("咋退款"));
        assert_eq!(question_classes("退款"), 0);
    }

    #[test]
    fn questions_are_told_from_statements() {
        assert!(is_question("运费怎么算"));
        assert!(is_question("能退吗"));
        assert!(is_question("发票开了没？"));
        assert!(!is_question("江苏省南京市玄武区珠江路88号 王五"));
        assert!(!is_question("上次的问题一直没人跟进"));
    }

    #[test]
    fn negations_are_found() {
        assert!(has_negation("为什么不能退款"));
        assert!(!has_negation("可以退款吗"));
    }
}
