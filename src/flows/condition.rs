//! Branch conditions: a small expression language over slots and webhook results.
//!
//! `order.status == "shipped" and not order.refunded`, `amount >= 100`, `answer` (truthy).
//! Values are JSON; a path that is not set is `null`; a number compares equal to a string
//! holding the same number (slot values are text).

use std::fmt;

use serde_json::Value;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Both hold.
    And(Box<Condition>, Box<Condition>),
    /// Either holds.
    Or(Box<Condition>, Box<Condition>),
    /// Does not hold.
    Not(Box<Condition>),
    /// A comparison of two operands.
    Compare(Operand, Comparison, Operand),
    /// The operand is truthy (not null, false, "", 0).
    Truthy(Operand),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

/// A value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A slot or result path, e.g. `order.status`.
    Path(Vec<String>),
    /// A literal.
    Literal(Value),
}

/// Why a condition does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError(pub String);

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Symbol(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| ConditionError("unclosed quote".into()))?;
            tokens.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let literal: String = chars[start..i].iter().collect();
            let number = literal.parse().map_err(|_| ConditionError(format!("bad number `{literal}`")))?;
            tokens.push(Token::Number(number));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = ["==", "!=", "<=", ">="].into_iter().find(|s| *s == two);
            let symbol = symbol.or_else(|| ["<", ">", "(", ")"].into_iter().find(|s| s.starts_with(c)));
            let symbol = symbol.ok_or_else(|| ConditionError(format!("unexpected `{c}`")))?;
            i += symbol.len();
            tokens.push(Token::Symbol(symbol));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Token::Word(w)) if w == word) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, ConditionError> {
        if self.keyword("not") {
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some(&Token::Symbol("(")) {
            self.position += 1;
            let inner = self.or()?;
            return match self.next() {
                Some(Token::Symbol(")")) => Ok(inner),
                _ => Err(ConditionError("missing `)`".into())),
            };
        }
        let left = self.operand()?;
        let comparison = match self.peek() {
            Some(Token::Symbol("==")) => Comparison::Equal,
            Some(Token::Symbol("!=")) => Comparison::NotEqual,
            Some(Token::Symbol("<")) => Comparison::Less,
            Some(Token::Symbol("<=")) => Comparison::LessOrEqual,
            Some(Token::Symbol(">")) => Comparison::Greater,
            Some(Token::Symbol(">=")) => Comparison::GreaterOrEqual,
            _ => return Ok(Condition::Truthy(left)),
        };
        self.position += 1;
        Ok(Condition::Compare(left, comparison, self.operand()?))
    }

    fn operand(&mut self) -> Result<Operand, ConditionError> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Operand::Literal(Value::String(text))),
            Some(Token::Number(number)) => Ok(Operand::Literal(serde_json::json!(number))),
            Some(Token::Word(word)) => Ok(match word.as_str() {
                "true" => Operand::Literal(Value::Bool(true)),
                "false" => Operand::Literal(Value::Bool(false)),
                "null" => Operand::Literal(Value::Null),
                "and" | "or" | "not" => {
                    return Err(ConditionError(format!("expected a value, found `{word}`")));
                }
                _ if word.split('.').any(str::is_empty) => {
                    return Err(ConditionError(format!("bad name `{word}`")));
                }
                _ => Operand::Path(word.split('.').map(str::to_string).collect()),
            }),
            Some(Token::Symbol(symbol)) => Err(ConditionError(format!("expected a value, found `{symbol}`"))),
            None => Err(ConditionError("expected a value, found the end".into())),
        }
    }
}

impl Condition {
    /// Parses a condition.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let mut parser = Parser { tokens: tokenize(text)?, position: 0 };
        let condition = parser.or()?;
        match parser.peek() {
            None => Ok(condition),
            Some(token) => Err(ConditionError(format!("unexpected {token:?} after the condition"))),
        }
    }

    /// The root names of every path the condition reads (`order` for `order.status`).
    pub fn variables(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.collect_variables(&mut names);
        names
    }

    fn collect_variables<'a>(&'a self, names: &mut Vec<&'a str>) {
        let mut operand = |operand: &'a Operand| {
            if let Operand::Path(path) = operand {
                names.push(path[0].as_str());
            }
        };
        match self {
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_variables(names);
                b.collect_variables(names);
            }
            Condition::Not(inner) => inner.collect_variables(names),
            Condition::Compare(left, _, right) => {
                operand(left);
                operand(right);
            }
            Condition::Truthy(value) => operand(value),
        }
    }

    /// Evaluates the condition against `context` (a JSON object of slots and results).
    pub fn holds(&self, context: &Value) -> bool {
        match self {
            Condition::And(a, b) => a.holds(context) && b.holds(context),
            Condition::Or(a, b) => a.holds(context) || b.holds(context),
            Condition::Not(inner) => !inner.holds(context),
            Condition::Truthy(operand) => truthy(&resolve(operand, context)),
            Condition::Compare(left, comparison, right) => {
                compare(&resolve(left, context), *comparison, &resolve(right, context))
            }
        }
    }
}

fn resolve(operand: &Operand, context: &Value) -> Value {
    match operand {
        Operand::Literal(value) => value.clone(),
        Operand::Path(path) => {
            path.iter().try_fold(context, |value, key| value.get(key)).cloned().unwrap_or(Value::Null)
        }
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare(left: &Value, comparison: Comparison, right: &Value) -> bool {
    let ordering = match (as_number(left), as_number(right)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => match (left, right) {
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            _ if left == right => Some(std::cmp::Ordering::Equal),
            _ => None,
        },
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    match comparison {
        Comparison::Equal => ordering == Some(Equal),
        Comparison::NotEqual => ordering != Some(Equal),
        Comparison::Less => ordering == Some(Less),
        Comparison::LessOrEqual => matches!(ordering, Some(Less | Equal)),
        Comparison::Greater => ordering == Some(Greater),
        Comparison::GreaterOrEqual => matches!(ordering, Some(Greater | Equal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(condition: &str, context: Value) -> bool {
        Condition::parse(condition).unwrap().holds(&context)
    }

    #[test]
    fn comparisons_over_paths_and_literals() {
        let context = json!({"order": {"status": "shipped", "amount": 120}, "count": "3"});
        assert!(holds("order.status == \"shipped\"", context.clone()));
        assert!(holds("order.status != 'pending'", context.clone()));
        assert!(holds("order.amount >= 100 and count < 5", context.clone()));
        assert!(holds("count == 3", context.clone()));
        assert!(!holds("order.missing == \"x\"", context.clone()));
        assert!(holds("order.missing == null", context.clone()));
    }

    #[test]
    fn boolean_logic_and_truthiness() {
        let context = json!({"found": true, "name": "", "items": [1]});
        assert!(holds("found and not name", context.clone()));
        assert!(holds("name or items", context.clone()));
        assert!(holds("not (found and name)", context.clone()));
        assert!(!holds("missing", context));
    }

    #[test]
    fn variables_are_the_root_names_read() {
        let condition = Condition::parse("order.status == 'x' or not refund").unwrap();
        assert_eq!(condition.variables(), vec!["order", "refund"]);
    }

    #[test]
    fn malformed_conditions_are_errors() {
        for text in ["", "a ==", "== b", "a == 'x", "(a", "a b", "a & b", "and"] {
            assert!(Condition::parse(text).is_err(), "{text}");
        }
    }
}
