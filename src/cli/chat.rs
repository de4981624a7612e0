//! `kefu chat`: a terminal conversation with the bot, one message per input line.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use kefu::config::Config;
use kefu::dialog::{Action, DialogState, Policy, respond};

/// Runs the conversation until end of input.
pub fn run(config: &Config, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config)? {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let policy = Policy { matcher: &config.matcher, dialog: &config.dialog };
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        writeln!(
            out,
            "kefu chat — {} entries loaded; type a question, Ctrl-D to quit",
            brain.knowledge.entries.len()
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
        let outcome = respond(&brain, policy, &state, &line)?;
        for text in reply_lines(&outcome.actions) {
            writeln!(out, "客服: {text}")?;
        }
        state = outcome.state;
    }
    Ok(ExitCode::SUCCESS)
}

/// The actions as lines of text: replies, and a note for hand-offs.
pub fn reply_lines(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|action| match action {
            Action::Reply { reply } => reply.summary(),
            Action::Handoff { reason } => {
                format!("[转人工: {}]", serde_json::to_string(reason).unwrap_or_default())
            }
        })
        .collect()
}
