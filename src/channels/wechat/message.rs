//! WeChat push bodies: the outer envelope, the decrypted inbound messages and the passive
//! `transfer_customer_service` reply, in XML or JSON (the app's configured data format).
//!
//! Both formats are first flattened into the body's top-level fields as text, so one set
//! of rules (required fields, `MsgId` as number or string) serves both. XML is read with a
//! streaming parser that refuses any DTD and any entity but the five predefined ones, so an
//! XXE body fails instead of expanding.

use std::collections::HashMap;
use std::str::FromStr;

use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use serde_json::{Value, json};

/// The data format configured for an app's message push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON bodies (mini programs only).
    Json,
    /// XML bodies (mini programs and official accounts).
    Xml,
}

/// The outer body of a POST: either the plaintext message fields, or ToUserName + Encrypt
/// (safe mode), or both (compatible mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `ToUserName`: the app's original id (`gh_…`), when present.
    pub to_user: Option<String>,
    /// `Encrypt`, exactly as sent: it is signed as is, so it is never trimmed.
    pub encrypt: Option<String>,
}

/// Reads the envelope of a push body; a plaintext body gives `encrypt: None`.
pub fn parse_envelope(body: &str, format: Format) -> Result<Envelope, ParseError> {
    let fields = Fields::parse(body, format)?;
    Ok(Envelope {
        to_user: fields.get("ToUserName").map(str::to_string),
        encrypt: fields.get("Encrypt").map(str::to_string),
    })
}

/// An inbound push, decrypted.
///
/// Each field is the wire field of the same name in snake case (`msg_id` is `MsgId`,
/// `page_path` is `PagePath`); `MsgId` is the retry-deduplication key of messages.
#[derive(Debug, Clone, PartialEq)]
pub enum PushMessage {
    /// A text message (`Content` required).
    Text { common: Common, msg_id: u64, content: String },
    /// An image (`PicUrl` and `MediaId` required); the media API serves `media_id`.
    Image { common: Common, msg_id: u64, pic_url: String, media_id: String },
    /// A mini-program card the user sent; the thumbnail fields may be empty.
    MiniProgramPage {
        common: Common,
        msg_id: u64,
        title: String,
        app_id: String,
        page_path: String,
        thumb_url: String,
        thumb_media_id: String,
    },
    /// Event `user_enter_tempsession`: the user opened the customer-service session;
    /// `session_from` is the contact button's `session-from`, empty when not delivered.
    EnterSession { common: Common, session_from: String },
    /// Event `debug_demo`: the admin console's test push.
    DebugDemo { common: Common, debug_str: String },
    /// Any other event.
    OtherEvent { common: Common, event: String },
    /// Any other `MsgType`: acknowledged, not handled.
    Other { common: Common, msg_type: String, msg_id: Option<u64> },
}

impl PushMessage {
    /// The fields every push carries.
    pub fn common(&self) -> &Common {
        match self {
            PushMessage::Text { common, .. }
            | PushMessage::Image { common, .. }
            | PushMessage::MiniProgramPage { common, .. }
            | PushMessage::EnterSession { common, .. }
            | PushMessage::DebugDemo { common, .. }
            | PushMessage::OtherEvent { common, .. }
            | PushMessage::Other { common, .. } => common,
        }
    }
}

/// The fields every push carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// `ToUserName`: the app's original id (`gh_…`) or appid.
    pub to_user: String,
    /// `FromUserName`: the user's OpenID.
    pub from_user: String,
    /// `CreateTime`, unix seconds.
    pub create_time: i64,
}

/// Why a push body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// Not well-formed XML or JSON, or not one object / one root element.
    #[error("malformed push body: {0}")]
    Malformed(String),
    /// A `<!DOCTYPE`: DTDs are never processed (XXE).
    #[error("push body has a DOCTYPE declaration, which is refused")]
    Doctype,
    /// An entity other than the five predefined XML ones.
    #[error("push body uses the undeclared entity &{0};")]
    UnknownEntity(String),
    /// A field the message type needs is absent.
    #[error("push body lacks the field {0}")]
    MissingField(&'static str),
    /// A numeric field that is not an integer in range.
    #[error("field {field} is not a valid integer: {value:?}")]
    BadNumber {
        /// The field name.
        field: &'static str,
        /// Its text as received.
        value: String,
    },
}

/// Reads an inbound push (plaintext, or the result of decryption).
///
/// `MsgId` and `CreateTime` may be JSON numbers or strings; they are parsed from their text,
/// never through `f64`, so a `MsgId` above 2^53 keeps every digit.
pub fn parse_message(body: &str, format: Format) -> Result<PushMessage, ParseError> {
    let fields = Fields::parse(body, format)?;
    let common = Common {
        to_user: fields.text("ToUserName")?,
        from_user: fields.text("FromUserName")?,
        create_time: fields.number("CreateTime")?,
    };
    let message = match fields.required("MsgType")? {
        "text" => {
            PushMessage::Text { msg_id: fields.number("MsgId")?, content: fields.text("Content")?, common }
        }
        "image" => PushMessage::Image {
            msg_id: fields.number("MsgId")?,
            pic_url: fields.text("PicUrl")?,
            media_id: fields.text("MediaId")?,
            common,
        },
        "miniprogrampage" => PushMessage::MiniProgramPage {
            msg_id: fields.number("MsgId")?,
            title: fields.text("Title")?,
            app_id: fields.text("AppId")?,
            page_path: fields.text("PagePath")?,
            // The docs' own JSON example sends these empty; a card is still usable without.
            thumb_url: fields.text_or_empty("ThumbUrl"),
            thumb_media_id: fields.text_or_empty("ThumbMediaId"),
            common,
        },
        "event" => event_message(&fields, common)?,
        other => PushMessage::Other {
            msg_type: other.to_string(),
            msg_id: fields.optional_number("MsgId")?,
            common,
        },
    };
    Ok(message)
}

fn event_message(fields: &Fields, common: Common) -> Result<PushMessage, ParseError> {
    Ok(match fields.required("Event")? {
        // The docs warn SessionFrom is not always delivered as set: entering still counts.
        "user_enter_tempsession" => {
            PushMessage::EnterSession { session_from: fields.text_or_empty("SessionFrom"), common }
        }
        "debug_demo" => PushMessage::DebugDemo { debug_str: fields.text_or_empty("debug_str"), common },
        other => PushMessage::OtherEvent { event: other.to_string(), common },
    })
}

/// The passive reply that hands the session to WeChat's own customer-service tool.
///
/// The reply goes back to the user, so the inbound `ToUserName`/`FromUserName` are swapped.
/// In safe mode the caller encrypts this body with [`super::crypto::WechatCrypto::encrypted_reply`].
pub fn transfer_reply(inbound: &Common, create_time: i64, format: Format) -> String {
    const MSG_TYPE: &str = "transfer_customer_service";
    match format {
        Format::Xml => format!(
            "<xml>\n<ToUserName>{}</ToUserName>\n<FromUserName>{}</FromUserName>\n\
             <CreateTime>{create_time}</CreateTime>\n<MsgType>{}</MsgType>\n</xml>",
            xml_cdata(&inbound.from_user),
            xml_cdata(&inbound.to_user),
            xml_cdata(MSG_TYPE),
        ),
        Format::Json => json!({
            "ToUserName": inbound.from_user,
            "FromUserName": inbound.to_user,
            "CreateTime": create_time,
            "MsgType": MSG_TYPE,
        })
        .to_string(),
    }
}

/// `text` as a CDATA section; a `]]>` inside is split across two sections so it survives.
pub(super) fn xml_cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// `text` as an unsigned integer when it is written canonically (so the number WeChat reads
/// back prints as the exact string that was signed), else `None`.
pub(super) fn canonical_number(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|number| number.to_string() == text)
}

/// The top-level fields of a push body as text, whichever the format.
#[derive(Debug, Default)]
pub(super) struct Fields(HashMap<String, String>);

impl Fields {
    /// Flattens a body's top-level fields; nested values are skipped.
    pub(super) fn parse(body: &str, format: Format) -> Result<Fields, ParseError> {
        match format {
            Format::Json => json_fields(body),
            Format::Xml => xml_fields(body),
        }
    }

    /// A field's text, if present.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn required(&self, name: &'static str) -> Result<&str, ParseError> {
        self.get(name).ok_or(ParseError::MissingField(name))
    }

    fn text(&self, name: &'static str) -> Result<String, ParseError> {
        self.required(name).map(str::to_string)
    }

    fn text_or_empty(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    fn number<T: FromStr>(&self, name: &'static str) -> Result<T, ParseError> {
        let text = self.required(name)?;
        // Whitespace around a number is layout (e.g. pretty-printed XML), not data.
        text.trim().parse().map_err(|_| ParseError::BadNumber { field: name, value: text.to_string() })
    }

    fn optional_number<T: FromStr>(&self, name: &'static str) -> Result<Option<T>, ParseError> {
        self.get(name).map(|_| self.number(name)).transpose()
    }
}

fn json_fields(body: &str) -> Result<Fields, ParseError> {
    let object: serde_json::Map<String, Value> =
        serde_json::from_str(body).map_err(|error| ParseError::Malformed(error.to_string()))?;
    let scalars = object.into_iter().filter_map(|(name, value)| {
        let text = match value {
            Value::String(text) => text,
            // Integers print exactly; floats always print with `.` or `e`, so they can
            // never pass for an integer that lost digits in f64.
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
        };
        Some((name, text))
    });
    Ok(Fields(scalars.collect()))
}

/// Element depths: the root `<xml>` is 1, its fields are 2.
const FIELD_DEPTH: usize = 2;

fn xml_fields(body: &str) -> Result<Fields, ParseError> {
    let mut reader = Reader::from_str(body);
    let mut fields = Fields::default();
    let mut depth = 0usize;
    let mut roots = 0usize;
    // The field being read: its name and the text gathered so far.
    let mut current: Option<(String, String)> = None;
    loop {
        let event = reader.read_event().map_err(malformed_xml)?;
        match event {
            Event::DocType(_) => return Err(ParseError::Doctype),
            Event::Start(start) => {
                depth += 1;
                roots += usize::from(depth == 1);
                if depth == FIELD_DEPTH {
                    current = Some((element_name(&start), String::new()));
                }
            }
            Event::Empty(start) => {
                roots += usize::from(depth == 0);
                if depth + 1 == FIELD_DEPTH {
                    fields.0.insert(element_name(&start), String::new());
                }
            }
            Event::End(_) => {
                if depth == FIELD_DEPTH
                    && let Some((name, text)) = current.take()
                {
                    fields.0.insert(name, text);
                }
                depth = depth.checked_sub(1).ok_or_else(|| malformed("unmatched end tag"))?;
            }
            Event::Text(text) => {
                push_text(depth, &mut current, &text.xml10_content().map_err(malformed_xml)?)?
            }
            Event::CData(cdata) => {
                push_text(depth, &mut current, &cdata.xml10_content().map_err(malformed_xml)?)?
            }
            Event::GeneralRef(reference) => push_text(depth, &mut current, &resolve_reference(&reference)?)?,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
        if roots > 1 {
            return Err(malformed("more than one root element"));
        }
    }
    if roots == 0 || depth != 0 {
        return Err(malformed("no complete root element"));
    }
    Ok(fields)
}

fn push_text(depth: usize, current: &mut Option<(String, String)>, text: &str) -> Result<(), ParseError> {
    match (depth, current) {
        (FIELD_DEPTH, Some((_, gathered))) => gathered.push_str(text),
        (0, _) if !text.trim().is_empty() => return Err(malformed("text outside the root element")),
        // Layout between fields, and the contents of nested elements, carry no field.
        _ => {}
    }
    Ok(())
}

/// A character reference or one of the five predefined entities; anything else would need a
/// DTD, which is never read.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<String, ParseError> {
    if let Some(character) = reference.resolve_char_ref().map_err(malformed_xml)? {
        return Ok(character.to_string());
    }
    let name = reference.decode().map_err(malformed_xml)?;
    resolve_xml_entity(&name).map(str::to_string).ok_or_else(|| ParseError::UnknownEntity(name.into_owned()))
}

/// The element's name; the body is a `&str`, so it is always UTF-8.
fn element_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.name().as_ref()).into_owned()
}

fn malformed_xml(error: impl std::fmt::Display) -> ParseError {
    ParseError::Malformed(error.to_string())
}

fn malformed(why: &str) -> ParseError {
    ParseError::Malformed(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLES: &str = include_str!("../../../tests/fixtures/wechat/push_examples.json");
    const VECTORS: &str = include_str!("../../../tests/fixtures/wechat/vectors.json");

    fn fixture(text: &str) -> Value {
        serde_json::from_str(text).expect("fixture is JSON")
    }

    /// An inbound example body from push_examples.json in the given format.
    fn example(name: &str, format: Format) -> String {
        let example = &fixture(EXAMPLES)["inbound"][name];
        match format {
            Format::Xml => example["xml"].as_str().expect("example has an xml form").to_string(),
            Format::Json => example["json"].to_string(),
        }
    }

    fn docs_common() -> Common {
        Common { to_user: "toUser".into(), from_user: "fromUser".into(), create_time: 1482048670 }
    }

    fn text_json(msg_id: &str) -> String {
        format!(
            r#"{{"ToUserName":"gh_1","FromUserName":"o_1","CreateTime":1,"MsgType":"text","Content":"hi","MsgId":{msg_id}}}"#
        )
    }

    fn text_xml(inner: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName>\
             <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><MsgId>7</MsgId>{inner}</xml>"
        )
    }

    fn msg_id_of(message: PushMessage) -> u64 {
        match message {
            PushMessage::Text { msg_id, .. } => msg_id,
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    fn content_of(message: Result<PushMessage, ParseError>) -> String {
        match message {
            Ok(PushMessage::Text { content, .. }) => content,
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    #[test]
    fn the_docs_text_example_parses_in_xml_and_json() {
        for format in [Format::Xml, Format::Json] {
            let expected = PushMessage::Text {
                common: docs_common(),
                msg_id: 1234567890123456,
                content: "this is a test".into(),
            };
            assert_eq!(parse_message(&example("text", format), format), Ok(expected), "{format:?}");
        }
    }

    #[test]
    fn the_docs_image_example_parses_in_xml_and_json() {
        for format in [Format::Xml, Format::Json] {
            let expected = PushMessage::Image {
                common: docs_common(),
                msg_id: 1234567890123456,
                pic_url: "this is a url".into(),
                media_id: "media_id".into(),
            };
            assert_eq!(parse_message(&example("image", format), format), Ok(expected), "{format:?}");
        }
    }

    #[test]
    fn the_docs_mini_program_page_examples_parse_with_every_field() {
        let card = |title: &str, app_id: &str, page_path: &str, thumb_url: &str, thumb_media_id: &str| {
            PushMessage::MiniProgramPage {
                common: docs_common(),
                msg_id: 1234567890123456,
                title: title.into(),
                app_id: app_id.into(),
                page_path: page_path.into(),
                thumb_url: thumb_url.into(),
                thumb_media_id: thumb_media_id.into(),
            }
        };
        // The docs' two forms carry different placeholder values.
        assert_eq!(
            parse_message(&example("miniprogrampage", Format::Xml), Format::Xml),
            Ok(card("Title", "AppId", "PagePath", "ThumbUrl", "ThumbMediaId"))
        );
        assert_eq!(
            parse_message(&example("miniprogrampage", Format::Json), Format::Json),
            Ok(card("title", "appid", "path", "", ""))
        );
    }

    #[test]
    fn the_docs_enter_session_event_parses_in_xml_and_json() {
        for format in [Format::Xml, Format::Json] {
            let expected =
                PushMessage::EnterSession { common: docs_common(), session_from: "sessionFrom".into() };
            let body = example("event_user_enter_tempsession", format);
            assert_eq!(parse_message(&body, format), Ok(expected), "{format:?}");
        }
    }

    #[test]
    fn an_enter_session_event_without_session_from_still_counts() {
        let body = r#"{"ToUserName":"gh_1","FromUserName":"o_1","CreateTime":5,"MsgType":"event","Event":"user_enter_tempsession"}"#;
        let common = Common { to_user: "gh_1".into(), from_user: "o_1".into(), create_time: 5 };
        assert_eq!(
            parse_message(body, Format::Json),
            Ok(PushMessage::EnterSession { common, session_from: String::new() })
        );
    }

    #[test]
    fn the_docs_plain_mode_debug_demo_parses() {
        let expected = PushMessage::DebugDemo {
            common: Common {
                to_user: "gh_97417a04a28d".into(),
                from_user: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY".into(),
                create_time: 1714037059,
            },
            debug_str: "hello world".into(),
        };
        let body = example("event_debug_demo_plain_json", Format::Json);
        assert_eq!(parse_message(&body, Format::Json), Ok(expected));
    }

    #[test]
    fn the_cloud_function_example_with_a_non_numeric_msg_id_is_refused_not_guessed() {
        let body = example("cloud_function_text_event", Format::Json);
        assert_eq!(
            parse_message(&body, Format::Json),
            Err(ParseError::BadNumber {
                field: "MsgId",
                value: "49d72d67b16d115e7935ac386f2f0fa41535298877_1555684067".into()
            })
        );
    }

    #[test]
    fn the_cloud_function_example_parses_when_its_string_msg_id_is_numeric() {
        let mut body = fixture(EXAMPLES)["inbound"]["cloud_function_text_event"]["json"].clone();
        body["MsgId"] = json!("6054768590064713728");
        let expected = PushMessage::Text {
            common: Common {
                to_user: "wx3d289323f5900f8e".into(),
                from_user: "ohl4L0Rnhq7vmmbT_DaNQa4ePaz0".into(),
                create_time: 1555684067,
            },
            msg_id: 6054768590064713728,
            content: "测试".into(),
        };
        assert_eq!(parse_message(&body.to_string(), Format::Json), Ok(expected));
    }

    #[test]
    fn msg_id_above_2_pow_53_keeps_every_digit_as_number_string_or_xml() {
        // 2^53 + 1 is the first integer an f64 cannot hold.
        for msg_id in [9007199254740993u64, 6054768590064713728, u64::MAX] {
            let as_number = parse_message(&text_json(&msg_id.to_string()), Format::Json);
            let as_string = parse_message(&text_json(&format!("\"{msg_id}\"")), Format::Json);
            let xml = text_xml("<Content>x</Content>")
                .replace("<MsgId>7</MsgId>", &format!("<MsgId>{msg_id}</MsgId>"));
            assert_eq!(msg_id_of(as_number.expect("number")), msg_id);
            assert_eq!(msg_id_of(as_string.expect("string")), msg_id);
            assert_eq!(msg_id_of(parse_message(&xml, Format::Xml).expect("xml")), msg_id);
        }
    }

    #[test]
    fn a_msg_id_that_is_a_float_negative_or_too_large_is_an_error() {
        for msg_id in ["1.0e15", "1234.0", "-1", "18446744073709551616", "\"\"", "\"12a\"", "true"] {
            let result = parse_message(&text_json(msg_id), Format::Json);
            assert!(
                matches!(result, Err(ParseError::BadNumber { field: "MsgId", .. })),
                "{msg_id}: {result:?}"
            );
        }
    }

    #[test]
    fn create_time_may_arrive_as_a_string() {
        let body = r#"{"ToUserName":"a","FromUserName":"b","CreateTime":"1482048670","MsgType":"event","Event":"x"}"#;
        let common = Common { to_user: "a".into(), from_user: "b".into(), create_time: 1482048670 };
        assert_eq!(
            parse_message(body, Format::Json),
            Ok(PushMessage::OtherEvent { common, event: "x".into() })
        );
    }

    #[test]
    fn a_doctype_is_refused_before_any_entity_is_expanded() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>"#;
        let laughs = r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><Content>&lol2;</Content></xml>"#;
        for body in [xxe, laughs] {
            assert_eq!(parse_message(body, Format::Xml), Err(ParseError::Doctype));
            assert_eq!(parse_envelope(body, Format::Xml), Err(ParseError::Doctype));
        }
    }

    #[test]
    fn an_undeclared_entity_is_refused() {
        let body = text_xml("<Content>&xxe;</Content>");
        assert_eq!(parse_message(&body, Format::Xml), Err(ParseError::UnknownEntity("xxe".into())));
    }

    #[test]
    fn predefined_entities_and_character_references_are_decoded() {
        let body =
            text_xml("<Content>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#x4E2D;&#25991;</Content>");
        assert_eq!(content_of(parse_message(&body, Format::Xml)), "a <b> & \"c\" 'd' 中文");
    }

    #[test]
    fn plain_text_and_cdata_are_both_accepted_and_never_trimmed() {
        let plain = text_xml("<Content>  two\nlines </Content>");
        let cdata = text_xml("<Content><![CDATA[  two\nlines ]]></Content>");
        let mixed = text_xml("<Content>  two<![CDATA[\nlines ]]></Content>");
        for body in [plain, cdata, mixed] {
            assert_eq!(content_of(parse_message(&body, Format::Xml)), "  two\nlines ");
        }
    }

    #[test]
    fn unknown_fields_and_nested_elements_are_ignored() {
        let xml = text_xml(
            "<Content>hi</Content><ScanCodeInfo><Content>nested</Content></ScanCodeInfo><Extra/><!-- note -->",
        );
        assert_eq!(content_of(parse_message(&xml, Format::Xml)), "hi");
        let json = text_json(r#"7,"Extra":{"Content":"nested"},"List":[1,2],"Nothing":null"#);
        assert_eq!(content_of(parse_message(&json, Format::Json)), "hi");
    }

    #[test]
    fn an_empty_element_is_an_empty_field() {
        assert_eq!(content_of(parse_message(&text_xml("<Content/>"), Format::Xml)), "");
    }

    #[test]
    fn missing_fields_are_named() {
        let cases = [
            (r#"{"FromUserName":"o","CreateTime":1,"MsgType":"text"}"#, "ToUserName"),
            (r#"{"ToUserName":"g","CreateTime":1,"MsgType":"text"}"#, "FromUserName"),
            (r#"{"ToUserName":"g","FromUserName":"o","MsgType":"text"}"#, "CreateTime"),
            (r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1}"#, "MsgType"),
            (r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"text","MsgId":1}"#, "Content"),
            (
                r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"text","Content":"x"}"#,
                "MsgId",
            ),
            (r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"image","MsgId":1}"#, "PicUrl"),
            (r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"event"}"#, "Event"),
        ];
        for (body, field) in cases {
            assert_eq!(parse_message(body, Format::Json), Err(ParseError::MissingField(field)), "{body}");
        }
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for body in
            ["", "   ", "<xml>", "<xml></xm>", "</xml>", "<xml/><xml/>", "text<xml/>", "<xml>&</xml>", "{}"]
        {
            let result = parse_envelope(body, Format::Xml);
            assert!(matches!(result, Err(ParseError::Malformed(_))), "{body:?}: {result:?}");
        }
        for body in ["", "[]", "{", "null", "\"x\"", "<xml/>"] {
            let result = parse_envelope(body, Format::Json);
            assert!(matches!(result, Err(ParseError::Malformed(_))), "{body:?}: {result:?}");
        }
    }

    #[test]
    fn other_message_types_and_events_are_kept_for_acknowledgement() {
        let common = Common { to_user: "g".into(), from_user: "o".into(), create_time: 1 };
        let voice = r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"voice","MsgId":"42"}"#;
        let location = "<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName>\
                        <CreateTime>1</CreateTime><MsgType>location</MsgType></xml>";
        let subscribe =
            r#"{"ToUserName":"g","FromUserName":"o","CreateTime":1,"MsgType":"event","Event":"subscribe"}"#;
        assert_eq!(
            parse_message(voice, Format::Json),
            Ok(PushMessage::Other { common: common.clone(), msg_type: "voice".into(), msg_id: Some(42) })
        );
        assert_eq!(
            parse_message(location, Format::Xml),
            Ok(PushMessage::Other { common: common.clone(), msg_type: "location".into(), msg_id: None })
        );
        assert_eq!(
            parse_message(subscribe, Format::Json),
            Ok(PushMessage::OtherEvent { common, event: "subscribe".into() })
        );
    }

    #[test]
    fn a_safe_mode_envelope_gives_to_user_and_encrypt_verbatim() {
        let request = &fixture(VECTORS)["vectors"][0]["request_body"];
        let encrypt = request["Encrypt"].as_str().expect("vector has Encrypt");
        let expected = Envelope { to_user: Some("gh_97417a04a28d".into()), encrypt: Some(encrypt.into()) };
        assert_eq!(parse_envelope(&request.to_string(), Format::Json), Ok(expected.clone()));
        let xml = format!(
            "<xml>\n<ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n</xml>"
        );
        assert_eq!(parse_envelope(&xml, Format::Xml), Ok(expected));
    }

    #[test]
    fn encrypt_is_never_trimmed() {
        let xml = "<xml><Encrypt> a+b/c= </Encrypt></xml>";
        assert_eq!(
            parse_envelope(xml, Format::Xml).map(|envelope| envelope.encrypt),
            Ok(Some(" a+b/c= ".into()))
        );
        let json = r#"{"Encrypt":"\na+b/c=\n"}"#;
        assert_eq!(
            parse_envelope(json, Format::Json).map(|envelope| envelope.encrypt),
            Ok(Some("\na+b/c=\n".into()))
        );
    }

    #[test]
    fn compatible_and_plaintext_envelopes_are_told_apart_by_encrypt() {
        let plain = example("text", Format::Xml);
        assert_eq!(
            parse_envelope(&plain, Format::Xml),
            Ok(Envelope { to_user: Some("toUser".into()), encrypt: None })
        );
        let compatible = plain.replace("</xml>", "<Encrypt><![CDATA[abc=]]></Encrypt></xml>");
        assert_eq!(
            parse_envelope(&compatible, Format::Xml),
            Ok(Envelope { to_user: Some("toUser".into()), encrypt: Some("abc=".into()) })
        );
        assert_eq!(content_of(parse_message(&compatible, Format::Xml)), "this is a test");
    }

    fn docs_transfer_inbound() -> Common {
        // The docs' reply goes to "touser" from "fromuser"; the inbound had them the other way.
        Common { to_user: "fromuser".into(), from_user: "touser".into(), create_time: 1 }
    }

    #[test]
    fn transfer_reply_in_json_matches_the_docs_example() {
        let reply = transfer_reply(&docs_transfer_inbound(), 1399197672, Format::Json);
        let expected = &fixture(EXAMPLES)["passive_replies"]["transfer_customer_service_json"]["json"];
        assert_eq!(&fixture(&reply), expected);
    }

    #[test]
    fn transfer_reply_in_xml_has_the_docs_fields_and_swaps_the_users() {
        let reply = transfer_reply(&docs_transfer_inbound(), 1399197672, Format::Xml);
        assert_eq!(
            reply,
            "<xml>\n<ToUserName><![CDATA[touser]]></ToUserName>\n<FromUserName><![CDATA[fromuser]]></FromUserName>\n\
             <CreateTime>1399197672</CreateTime>\n<MsgType><![CDATA[transfer_customer_service]]></MsgType>\n</xml>"
        );
        let docs = fixture(EXAMPLES)["passive_replies"]["transfer_customer_service_xml"]["xml"].clone();
        let docs = docs.as_str().expect("docs reply is a string");
        assert_eq!(parse_message(&reply, Format::Xml), parse_message(docs, Format::Xml));
    }

    #[test]
    fn transfer_replies_parse_back_in_both_formats_even_with_cdata_terminators() {
        let inbound = Common { to_user: "gh_1".into(), from_user: "o]]>x<&".into(), create_time: 3 };
        for format in [Format::Xml, Format::Json] {
            let reply = transfer_reply(&inbound, 99, format);
            let expected = PushMessage::Other {
                common: Common { to_user: "o]]>x<&".into(), from_user: "gh_1".into(), create_time: 99 },
                msg_type: "transfer_customer_service".into(),
                msg_id: None,
            };
            assert_eq!(parse_message(&reply, format), Ok(expected), "{format:?}");
        }
    }

    #[test]
    fn canonical_numbers_are_only_plain_digits() {
        assert_eq!(canonical_number("1713424427"), Some(1713424427));
        for text in ["", "+1", "01", " 1", "1.0", "x"] {
            assert_eq!(canonical_number(text), None, "{text:?}");
        }
    }

    #[test]
    fn format_reads_from_lowercase_names() {
        assert_eq!(serde_json::from_str::<Format>("\"json\"").ok(), Some(Format::Json));
        assert_eq!(serde_json::from_str::<Format>("\"xml\"").ok(), Some(Format::Xml));
        assert!(serde_json::from_str::<Format>("\"XML\"").is_err());
    }
}
