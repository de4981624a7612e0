use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn load_text(text: &str, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path), &env(pairs)).map_err(|error| match error {
        ConfigError::Parse { line, column, message, .. } => {
            ConfigError::Parse { path: "kefu.toml".into(), line, column, message }
        }
        other => other,
    })
}

#[test]
fn the_documented_example_is_the_default() {
    let config = Config::load(None, &HashMap::new()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.knowledge_dir, PathBuf::from("knowledge"));
    assert!(config.dialog.human_request_phrases.contains(&"转人工".to_string()));
}

#[test]
fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let text = "knowledge_dir = \"kb\"\n[matcher]\nanswer_threshold = 0.8\nsuggest_threshold = 0.5\n";
    let config = load_text(text, &[]).unwrap();
    assert_eq!(config.knowledge_dir, PathBuf::from("kb"));
    assert_eq!(config.matcher.answer_threshold, 0.8);
    assert_eq!(config.flows_dir, PathBuf::from("flows"));
    let config =
        load_text(text, &[("KEFU_ANSWER_THRESHOLD", "0.9"), ("KEFU_KNOWLEDGE_DIR", "/srv/kb")]).unwrap();
    assert_eq!(config.matcher.answer_threshold, 0.9);
    assert_eq!(config.knowledge_dir, PathBuf::from("/srv/kb"));
}

#[test]
fn unknown_settings_are_reported_with_their_position() {
    let error = load_text("[matcher]\nanswer_treshold = 0.8\n", &[]).unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("kefu.toml:2:1: unknown field `answer_treshold`"), "{text}");
}

#[test]
fn bad_environment_values_and_ranges_are_refused() {
    let error = load_text("", &[("KEFU_ANSWER_THRESHOLD", "high")]).unwrap_err();
    assert!(error.to_string().starts_with("environment variable KEFU_ANSWER_THRESHOLD=\"high\""), "{error}");
    let error = load_text("[matcher]\nanswer_threshold = 1.5\n", &[]).unwrap_err();
    assert_eq!(error.to_string(), "invalid setting `matcher.answer_threshold`: 1.5 is not between 0 and 1");
    let error = load_text("[matcher]\nanswer_threshold = 0.2\nsuggest_threshold = 0.4\n", &[]).unwrap_err();
    assert!(error.to_string().contains("matcher.suggest_threshold"), "{error}");
}
