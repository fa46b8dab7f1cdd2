//! `rdpgen man`: one man page with every subcommand, its options, and the sections a reader
//! looks for (EXIT STATUS, FILES, ENVIRONMENT, EXAMPLES). No page refers to another page that
//! rdpgen does not install.

use std::io::Write as _;

use clap::CommandFactory;

use crate::cli::Cli;

const TAIL: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
validate/build: every file is valid, artifacts written. diff: every host is compliant (with \fB\-\-allow\-incomplete\fR: none drifted or unreadable).
.TP
\fB1\fR
problems found: an invalid policy (or a warning with \fB\-\-deny\-warnings\fR); diff: a host drifted or could not be read; import: a source that cannot be read, sources that conflict, a value its field cannot express, or (with \fB\-\-strict\fR) a value no field covers.
.TP
\fB2\fR
rdpgen could not run: an unreadable file, bad arguments, a write failure.
.TP
\fB3\fR
diff only: no host drifted or was unreadable, but at least one is incomplete: some check could not be verified from its inputs.
.SH FILES
.TP
\fIpolicy\fR\fB.yaml\fR
a policy (language version 1); built\-in baselines: \fBcis\-level1\fR, \fBstig\fR, \fBbreak\-glass\fR.
.TP
\fIout\fR\fB/\fR\fIname\fR\fB/\fR
what \fBbuild\fR writes: reg/, pol/Machine/Registry.pol, lgpo/, gpo/ (a GPMC backup), admx/, dsc/, dsc3/, ansible/, intune/, osquery/ (an osquery pack).
.TP
host inputs of \fBdiff\fR
collector snapshots (.json), .reg exports, Registry.pol files, GPO folders (GPMC backups, SYSVOL GPOs), osquery results logs (.log, one host per hostIdentifier; \fBosqueryi \-\-json\fR output as \fIquery\fR.json in a host directory), and directories of them.
.SH ENVIRONMENT
.TP
\fBSOURCE_DATE_EPOCH\fR
the time written into GPO backups (default: 2000\-01\-01), for reproducible builds.
.TP
\fBNO_COLOR\fR
when set and not empty, no colour (as \fB\-\-color never\fR).
.TP
\fBCI\fR
set by CI systems; rdpgen's own test suite fails instead of skipping when a validator is missing.
.SH EXAMPLES
.TP
Validate a policy, with annotations for GitHub Actions:
\fBrdpgen validate policies/tier1.yaml \-\-format github\fR
.TP
Build every target of two policies:
\fBrdpgen build tier1.yaml dmz.yaml \-\-out out\fR
.TP
Audit a fleet of collector snapshots, as HTML:
\fBrdpgen diff tier1.yaml snapshots/ \-\-format html \-o report.html\fR
.TP
Audit a GPO backup against the DISA STIG items:
\fBrdpgen diff stig.yaml ./GPO\-backup/\fR
.TP
Start a policy from an existing GPO backup, as a delta over CIS Level 1:
\fBrdpgen import ./GPO\-backup/ \-\-extends cis\-level1 \-o rdp.yaml\fR
.TP
What can cause error 0x904 with extended error 0x7:
\fBrdpgen explain 0x904/0x7\fR
"#;

/// The page, in roff.
///
/// # Errors
/// Writing to the buffer fails (it does not).
pub fn render() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let page = clap_mangen::Man::new(sub.clone());
        writeln!(out, ".SS \"rdpgen {name}\"")?;
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            writeln!(out, "{}", roff_text(&about.to_string()))?;
        }
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_options_section(&mut part)?;
        // Their `.SH` headings become paragraphs inside this command's subsection.
        for line in String::from_utf8_lossy(&part).lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => writeln!(out, ".PP\n\\fB{}\\fR", heading.trim_matches('"'))?,
                None => writeln!(out, "{line}")?,
            }
        }
    }
    out.extend_from_slice(TAIL.as_bytes());
    Ok(out)
}

/// Text as a roff paragraph: no line starts with a control character.
fn roff_text(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e");
            if l.starts_with(['.', '\'']) {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
