//! Built-in customer-service vocabulary and synonym groups.
//!
//! jieba's general dictionary splits many service words (`到账` → `到`/`账`), and users
//! write the same thing many ways (`咋`/`怎么`/`如何`). These lists are general Chinese
//! customer-service language, not any one shop's: each knowledge base adds its own words and
//! groups in `knowledge/_synonyms.yaml`.

use std::collections::HashMap;

/// Words jieba must keep whole in customer-service text.
pub fn builtin_words() -> &'static [&'static str] {
    &[
        "到账",
        "退款",
        "退货",
        "换货",
        "发货",
        "收货",
        "签收",
        "拒收",
        "补发",
        "漏发",
        "错发",
        "运费",
        "包邮",
        "运费险",
        "快递单号",
        "物流信息",
        "优惠券",
        "满减",
        "积分",
        "会员",
        "账号",
        "帐号",
        "手机号",
        "验证码",
        "登录",
        "登陆",
        "注销",
        "解绑",
        "换绑",
        "实名认证",
        "发票",
        "开票",
        "电子发票",
        "专票",
        "普票",
        "售后",
        "人工客服",
        "转人工",
        "在线客服",
        "下单",
        "付款",
        "扣款",
        "还款",
        "分期",
        "额度",
        "提现",
        "充值",
        "余额",
        "原路退回",
        "审核",
        "驳回",
        "质量问题",
        "保修",
        "小程序",
        "公众号",
        "收货地址",
        "订单号",
        "取消订单",
        "申请售后",
        "无理由",
        "七天无理由",
        "客服电话",
        "多久",
        "多长时间",
        "为啥",
        "咋办",
        "咋样",
        "能不能",
        "可不可以",
        "是不是",
        "有没有",
    ]
}

/// Synonym groups: every word in a group is matched as the group's first (canonical) word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynonymGroups {
    canonical_of: HashMap<String, String>,
}

impl SynonymGroups {
    /// Builds the lookup from groups; a word's first group wins.
    pub fn new(groups: Vec<Vec<String>>) -> SynonymGroups {
        let mut canonical_of = HashMap::new();
        for group in groups {
            let Some(canonical) = group.first().cloned() else { continue };
            for word in group {
                canonical_of.entry(word).or_insert_with(|| canonical.clone());
            }
        }
        SynonymGroups { canonical_of }
    }

    /// The canonical word for `word` (itself when it is in no group).
    pub fn canonical<'a>(&'a self, word: &'a str) -> &'a str {
        self.canonical_of.get(word).map_or(word, String::as_str)
    }

    /// True when `word` belongs to a group.
    pub fn contains(&self, word: &str) -> bool {
        self.canonical_of.contains_key(word)
    }

    /// Every word that belongs to a group.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.canonical_of.keys().map(String::as_str)
    }

    /// Number of words in all groups.
    pub fn len(&self) -> usize {
        self.canonical_of.len()
    }

    /// True when there are no groups.
    pub fn is_empty(&self) -> bool {
        self.canonical_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_their_groups_first_word() {
        let groups = SynonymGroups::new(vec![vec!["退款".into(), "退钱".into()]]);
        assert_eq!(groups.canonical("退钱"), "退款");
        assert_eq!(groups.canonical("退款"), "退款");
        assert_eq!(groups.canonical("发货"), "发货");
    }

    #[test]
    fn a_word_in_two_groups_keeps_its_first_group() {
        let groups = SynonymGroups::new(vec![
            vec!["快递".into(), "物流".into()],
            vec!["物流信息".into(), "物流".into()],
        ]);
        assert_eq!(groups.canonical("物流"), "快递");
    }
}
