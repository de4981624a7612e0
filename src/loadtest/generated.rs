//! A large, realistic Chinese FAQ knowledge base for benchmarks and load tests: every
//! combination of a product and a question template, each entry with five phrasings.

use crate::knowledge::{Answer, Entry, EntryId, Knowledge, Reply};
use crate::operator_yaml::Location;

const COLOURS: [&str; 10] = ["红色", "黑色", "白色", "藏青", "米色", "灰色", "粉色", "墨绿", "卡其", "浅蓝"];
const ITEMS: [&str; 24] = [
    "连衣裙",
    "羽绒服",
    "牛仔裤",
    "卫衣",
    "运动鞋",
    "保温杯",
    "蓝牙耳机",
    "充电宝",
    "加湿器",
    "床单四件套",
    "电饭煲",
    "行李箱",
    "双肩包",
    "羊毛衫",
    "风衣",
    "拖鞋",
    "台灯",
    "颈枕",
    "毛巾",
    "坚果礼盒",
    "咖啡豆",
    "洗面奶",
    "防晒霜",
    "数据线",
];
/// Question templates: five ways users ask the same thing about `{}` (a product).
const TEMPLATES: [[&str; 5]; 42] = [
    ["{}多久发货", "{}什么时候能发出", "拍了{}啥时候发", "{}付款后几天发货", "{}今天下单明天能发吗"],
    ["{}能退货吗", "{}支持七天无理由吗", "{}不想要了可以退吗", "{}拆封了还能退不", "买的{}怎么退"],
    ["{}有质量问题怎么办", "{}坏了能换吗", "{}用了两天就坏了", "{}有瑕疵可以退换吗", "{}质量太差了"],
    ["{}怎么选尺码", "{}尺码偏大还是偏小", "{}我穿多大码", "{}有尺码表吗", "{}160斤穿什么码"],
    ["{}是正品吗", "{}保真吗", "{}会不会是假货", "{}有防伪吗", "{}是官方的吗"],
    ["{}什么时候补货", "{}没货了还会有吗", "{}缺货多久到", "{}断货了咋办", "{}到货能通知我吗"],
    ["{}包邮吗", "{}运费多少", "买{}要邮费吗", "{}满多少包邮", "{}偏远地区包邮吗"],
    ["{}可以用优惠券吗", "{}能用券吗", "{}有没有优惠", "{}参加满减吗", "{}领的券用不了"],
    ["{}能开发票吗", "{}发票怎么开", "买{}要专票", "{}能开公司抬头吗", "{}发票什么时候给"],
    ["{}怎么清洗", "{}能机洗吗", "{}洗了会缩水吗", "{}怎么保养", "{}会掉色吗"],
    ["{}有保修吗", "{}保修多久", "{}坏了去哪修", "{}保修要发票吗", "{}过保了还能修吗"],
    ["{}发什么快递", "{}能发顺丰吗", "{}用的哪家物流", "{}可以指定快递吗", "{}发京东吗"],
    ["{}到货少了东西", "{}少发了一个", "{}漏发了怎么办", "{}配件不全", "{}收到缺了赠品"],
    ["{}收到是坏的", "{}快递压坏了", "{}外包装破了", "{}运输中摔坏了", "{}收到有裂痕"],
    ["{}价格怎么变了", "{}刚买就降价了", "{}能保价吗", "{}降价了能退差价吗", "{}买贵了怎么办"],
    ["{}可以改地址吗", "{}地址写错了", "{}能改收货地址吗", "{}发货前改地址", "{}换个地址寄"],
    ["{}可以取消订单吗", "{}不想要了能取消吗", "{}拍错了怎么取消", "{}下单后能撤销吗", "{}取消订单退款多久"],
    ["{}退款多久到账", "{}退的钱什么时候到", "{}退款几天能收到", "{}退款到哪里了", "{}退款一直没到"],
    ["{}可以分期吗", "{}能用花呗吗", "{}支持信用卡吗", "{}分期有利息吗", "{}怎么分期付款"],
    ["{}有赠品吗", "{}送什么东西", "{}买了有礼品吗", "{}赠品怎么领", "{}赠品没收到"],
    ["{}是什么材质", "{}什么面料", "{}含棉量多少", "{}是纯棉的吗", "{}材质安全吗"],
    ["{}有几种颜色", "{}还有别的颜色吗", "{}颜色有色差吗", "{}实物和图片一样吗", "{}颜色能选吗"],
    ["{}能送人吗", "{}有礼盒包装吗", "{}可以写贺卡吗", "{}能隐藏价格吗", "{}送礼合适吗"],
    ["{}保质期多久", "{}生产日期是哪天", "{}过期了吗", "{}能放多久", "{}是新货吗"],
    ["{}怎么使用", "{}有说明书吗", "{}第一次怎么用", "{}使用方法", "{}不会用怎么办"],
    ["{}适合多大年龄", "{}小孩能用吗", "{}老人用合适吗", "{}孕妇能用吗", "{}适合学生吗"],
    ["{}有现货吗", "{}还有库存吗", "{}是预售吗", "{}现在下单有货吗", "{}预售多久发"],
    ["{}能批发吗", "{}买多件有优惠吗", "{}团购价多少", "{}企业采购怎么买", "{}大量购买能便宜吗"],
    ["{}会员价多少", "{}会员有折扣吗", "{}金卡能打折吗", "{}积分能抵扣吗", "{}会员专享价"],
    ["{}可以换货吗", "{}换个颜色", "{}换大一码", "{}换货运费谁出", "{}换货流程"],
    ["{}评价在哪看", "{}好评多吗", "{}买家秀", "{}评价怎么写", "{}差评能改吗"],
    ["{}耗电吗", "{}功率多大", "{}一个月多少电", "{}省电吗", "{}待机耗电吗"],
    ["{}声音大吗", "{}噪音大不大", "{}晚上用吵不吵", "{}有异响正常吗", "{}静音吗"],
    ["{}重量多少", "{}有多重", "{}轻不轻", "{}能带上飞机吗", "{}方便携带吗"],
    ["{}尺寸多大", "{}长宽高多少", "{}占地方吗", "{}放得下吗", "{}具体尺寸"],
    ["{}有异味吗", "{}味道大吗", "{}有甲醛吗", "{}刚收到有味道", "{}味道多久散"],
    ["{}防水吗", "{}能淋雨吗", "{}能进水吗", "{}防水等级", "{}洗澡能戴吗"],
    ["{}会起球吗", "{}起球怎么办", "{}掉毛吗", "{}耐穿吗", "{}容易变形吗"],
    ["{}保暖吗", "{}冬天穿冷不冷", "{}厚不厚", "{}有加绒吗", "{}零下能穿吗"],
    ["{}能定制吗", "{}可以刻字吗", "{}能印logo吗", "{}定制多久", "{}定制能退吗"],
    ["{}快递到哪了", "{}物流不动了", "{}怎么查物流", "{}显示签收没收到", "{}快递单号多少"],
    ["{}订单怎么合并", "{}能一起发货吗", "{}分开发了吗", "{}拆单了吗", "{}两个订单合并付款"],
];

/// `count` entries (at most colours × items × templates), ids `gen-N`.
pub fn generated_knowledge(count: usize) -> Knowledge {
    let mut entries = Vec::with_capacity(count);
    'outer: for template in TEMPLATES {
        for item in ITEMS {
            for colour in COLOURS {
                if entries.len() == count {
                    break 'outer;
                }
                let product = format!("{colour}{item}");
                let phrasings: Vec<String> = template.iter().map(|t| t.replace("{}", &product)).collect();
                entries.push(Entry {
                    id: EntryId(format!("gen-{}", entries.len())),
                    category: None,
                    question: phrasings[0].clone(),
                    similar: phrasings[1..].to_vec(),
                    answer: Answer {
                        variants: vec![Reply::text(format!("关于{product}：请查看商品详情页的说明。"))],
                    },
                    attachments: Vec::new(),
                    keywords: Vec::new(),
                    tags: Vec::new(),
                    patterns: Vec::new(),
                    flow: None,
                    handoff: false,
                    location: Location { file: "generated.yaml".into(), line: 1, column: 1 },
                });
            }
        }
    }
    Knowledge { entries, ..Knowledge::default() }
}

/// The same knowledge written as operator files (100 entries per file) under `dir`, for
/// measuring a reload from disk.
pub fn write_generated_knowledge(knowledge: &Knowledge, dir: &std::path::Path) -> std::io::Result<()> {
    for (index, chunk) in knowledge.entries.chunks(100).enumerate() {
        let mut yaml = String::from("version: 1\nentries:\n");
        for entry in chunk {
            yaml.push_str(&format!(
                "  - id: {}\n    question: {}\n    similar:\n",
                entry.id.0, entry.question
            ));
            for phrasing in &entry.similar {
                yaml.push_str(&format!("      - {phrasing}\n"));
            }
            yaml.push_str(&format!("    answer: {}\n", entry.answer.variant(0).summary()));
        }
        std::fs::write(dir.join(format!("generated-{index:03}.yaml")), yaml)?;
    }
    Ok(())
}
