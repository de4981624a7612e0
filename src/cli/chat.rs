//! `kefu chat`: a terminal conversation with the bot, one message per input line, flows and
//! webhooks included (real ones, or stubbed from a file with `--webhook-stub`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use kefu::config::Config;
use kefu::dialog::{DialogState, converse};
use kefu::explain::reply_lines;
use kefu::scenarios::load_stub_file;
use kefu::webhooks::WebhookClient;

/// Runs the conversation until end of input.
pub fn run(config: &Config, webhook_stub: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config) {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let mut stubs = match webhook_stub.map(load_stub_file).transpose() {
        Ok(stubs) => stubs,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            return Ok(ExitCode::FAILURE);
        }
    };
    let client = WebhookClient::new(config.webhooks.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        let (entries, flows) = (brain.knowledge.entries.len(), brain.flows.flows.len());
        writeln!(
            out,
            "kefu chat — {entries} entries and {flows} flows loaded; type a question, Ctrl-D to quit"
        )?;
    }
    let mut state = DialogState::default();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            write!(out, "你: ")?;
            out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let exchange = converse(
            &brain,
            kefu::dialog::Policy::of(config),
            &state,
            &line,
            super::now(),
            |webhook, payload| match stubs.as_mut() {
                Some(stubs) => stubs.call(webhook),
                None => runtime.block_on(client.call(webhook, payload, "terminal")),
            },
        );
        for text in reply_lines(&exchange.actions) {
            writeln!(out, "客服: {text}")?;
        }
        state = exchange.state;
    }
    Ok(ExitCode::SUCCESS)
}
