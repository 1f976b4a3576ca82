//! The manual page (`spop-inspect man`) and shell completions (`spop-inspect completions
//! SHELL`), both made from the command-line definition so that they never drift from it.

use std::io::{self, Write};

use clap::Command;

/// Writes the completion script of `shell` for `command`.
pub(crate) fn completions(shell: clap_complete::Shell, command: Command, out: &mut dyn Write) {
    let mut command = command;
    clap_complete::generate(shell, &mut command, "spop-inspect", out);
}

/// Writes the manual page (roff) of `command`: clap_mangen's sections, then the examples and
/// the exit status of `after_help` as sections of their own, the examples unfilled (their
/// columns are aligned).
pub(crate) fn man(command: Command, after_help: &str, out: &mut dyn Write) -> io::Result<()> {
    // Subcommands get no pages of their own; `help` is not one to list.
    let man = clap_mangen::Man::new(command.disable_help_subcommand(true));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    let (examples, status) = after_help
        .split_once("\n\nExit status: ")
        .unwrap_or((after_help, ""));
    let examples = examples.strip_prefix("Examples:\n").unwrap_or(examples);
    writeln!(out, ".SH EXAMPLES\n.nf")?;
    for line in examples.lines() {
        writeln!(out, "{}", roff(line))?;
    }
    writeln!(out, ".fi")?;
    if !status.is_empty() {
        writeln!(
            out,
            ".SH \"EXIT STATUS\"\n{}",
            roff(&status.replace('\n', " "))
        )?;
    }
    man.render_version_section(out)
}

/// `text` as roff text: backslashes and hyphens escaped, a leading control character made
/// literal.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
