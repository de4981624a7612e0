//! Message templates: text with `{{name}}` or `{{result.field}}` placeholders filled from
//! slots and webhook results.

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Variable(Vec<String>),
}

impl Template {
    /// Parses `{{ path }}` placeholders; an unclosed `{{` or an empty name is an error.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unclosed `{{{{` in {text:?}"))?;
            let name = after[..end].trim();
            let valid = !name.is_empty()
                && name
                    .split('.')
                    .all(|piece| !piece.is_empty() && piece.chars().all(|c| c.is_alphanumeric() || c == '_'));
            if !valid {
                return Err(format!("bad placeholder `{{{{{}}}}}`", &after[..end]));
            }
            parts.push(Part::Variable(name.split('.').map(str::to_string).collect()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The root names the template reads (`order` for `{{order.status}}`).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable(path) => Some(path[0].as_str()),
            Part::Text(_) => None,
        })
    }

    /// Fills the placeholders from `context` (a JSON object); a missing value renders empty.
    pub fn render(&self, context: &Value) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Variable(path) => match path.iter().try_fold(context, |value, key| value.get(key)) {
                    Some(Value::String(text)) => out.push_str(text),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push_str(&other.to_string()),
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_filled_from_slots_and_results() {
        let template =
            Template::parse("订单 {{order_no}} 已由{{ order.courier }}发出，共 {{order.count}} 件").unwrap();
        let context = json!({"order_no": "DD1", "order": {"courier": "顺丰", "count": 2}});
        assert_eq!(template.render(&context), "订单 DD1 已由顺丰发出，共 2 件");
        assert_eq!(template.variables().collect::<Vec<_>>(), vec!["order_no", "order", "order"]);
    }

    #[test]
    fn a_missing_value_renders_empty() {
        assert_eq!(Template::parse("[{{x}}]").unwrap().render(&json!({})), "[]");
    }

    #[test]
    fn malformed_placeholders_are_errors() {
        assert!(Template::parse("{{order").is_err());
        assert!(Template::parse("{{}}").is_err());
        assert!(Template::parse("{{a..b}}").is_err());
        assert!(Template::parse("{{a b}}").is_err());
    }
}
