//! Command-line arguments (clap derive). Raw arguments only: commands turn them into work.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rdpgen",
    version,
    about = "Declarative Remote Desktop posture for Windows: validate a YAML policy, compile it to Group Policy, .reg and DSC, and audit hosts against it",
    after_help = "Exit status: 0 valid or compliant, 1 problems found (invalid policy, drift), 2 rdpgen could not run, 3 (diff) nothing drifted but something could not be verified."
)]
pub struct Cli {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// A PolicyDefinitions directory whose `*.admx` files add policies to the `admx:` section
    /// (and to `explain`, `diff` and the collector); repeatable. A file rdpgen also ships
    /// (`TerminalServer.admx`) replaces rdpgen's copy.
    #[arg(long = "admx", value_name = "DIR", global = true)]
    pub admx: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    Text,
    Json,
    /// SARIF 2.1.0 (code-scanning views), with regions.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...,line=...::`).
    Github,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check policy files against the schema and the RDP-aware rules.
    Validate(ValidateArgs),
    /// Compile policies into Registry.pol, GPO backup, ADMX, .reg, LGPO and DSC artifacts.
    Build(BuildArgs),
    /// Audit host snapshots, .reg exports or Registry.pol files against a policy.
    Diff(DiffArgs),
    /// Work with `diff` reports: merge the JSON reports of fleet shards into one report.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print the JSON Schema of the policy language.
    Schema(SchemaArgs),
    /// Explain a policy field, registry value, diagnostic code or RDP error code (0x904/0x7).
    Explain(ExplainArgs),
    /// Print the read-only PowerShell collector that snapshots a host for `diff`.
    Collector(CollectorArgs),
    /// Turn existing GPOs, Registry.pol, .reg exports, LGPO text or host snapshots into a
    /// policy YAML.
    Import(ImportArgs),
    /// Print shell completions.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print a commented starter policy that validates.
    Init(InitArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Policy files to check, or directories: every `*.yaml` / `*.yml` directly in one; `-`
    /// reads one policy from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
    /// Exit 1 when there are warnings, not only errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Show which file set each field after `extends` merging.
    #[arg(long)]
    pub explain_merge: bool,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Policy files to compile, or directories: every `*.yaml` / `*.yml` directly in one; `-`
    /// reads one policy from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What to print: the files written (text), or a JSON summary of what was written (policy,
    /// target, path, sha256) and of every diagnostic.
    #[arg(long, value_enum, default_value_t = BuildFormat::Text)]
    pub format: BuildFormat,
    /// Treat warnings as errors: a policy with a warning writes nothing, exit 1.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Output directory; each policy goes to `<out>/<name>/`.
    #[arg(long)]
    pub out: PathBuf,
    /// Targets to build (comma-separated, any case). Default: all.
    #[arg(long, value_delimiter = ',', value_parser = TargetParser)]
    pub target: Vec<TargetName>,
    /// Make every rollback artifact restore what this host had (deleting only what it did not
    /// have): a collector snapshot, a `.reg` export, a Registry.pol, or a directory whose files
    /// are merged as one host. Without it, rollback restores Windows defaults.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with = "rollback_from_local")]
    pub rollback_from: Option<PathBuf>,
    /// Like `--rollback-from`, from this machine's live registry (Windows only).
    #[arg(long)]
    pub rollback_from_local: bool,
}

/// A `--target` as spelled on the command line: one back end, or `all` of them. `commands::build`
/// turns these into `emit::Target`s (which know nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum TargetName {
    Reg,
    Pol,
    Lgpo,
    Gpo,
    Admx,
    Dsc,
    Dsc3,
    Ansible,
    Intune,
    Osquery,
    All,
}

/// Parses one `--target` value: the [`TargetName`] names, any case, blanks around them ignored
/// (`--target "reg, pol"`), and an unknown one refused with every valid name.
#[derive(Debug, Clone, Copy)]
struct TargetParser;

impl clap::builder::TypedValueParser for TargetParser {
    type Value = TargetName;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<TargetName, clap::Error> {
        let text = value.to_string_lossy();
        TargetName::from_str(text.trim(), true).map_err(|_| {
            let names: Vec<_> = TargetName::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value)
                .map(|v| v.get_name().to_owned())
                .collect();
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("unknown target `{text}`; targets: {}\n", names.join(", ")),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            TargetName::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BuildFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Html,
    /// One row per host and check.
    Csv,
    /// GitHub Actions workflow commands, annotated at the policy line of each finding.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The policy hosts are compared with.
    pub policy: PathBuf,
    /// Host files: collector JSON, .reg exports, Registry.pol files, GPO folders (a GPMC backup
    /// or a SYSVOL GPO), osquery results logs (`*.log`, one host per `hostIdentifier`), or
    /// directories (each file one host, each subdirectory one host whose files are merged;
    /// `osqueryi --json` output there is named after the pack query, `registry.json`).
    #[arg(required_unless_present = "local")]
    pub hosts: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Audit this machine's live registry (Windows only).
    #[arg(long)]
    pub local: bool,
    /// Exit 0 instead of 3 when no host drifted but some checks could not be verified.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Leave compliant hosts and passing checks out of the report (the summary still counts
    /// every host): fleet reports grow with the drift, not with the fleet.
    #[arg(long)]
    pub only_findings: bool,
    /// List passing checks too (text format); failing and unverified ones are always listed.
    #[arg(long, short)]
    pub verbose: bool,
    /// Never draw the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge JSON reports of one policy (shards of a fleet) into one report of any format,
    /// with the summary and exit status computed over every host.
    Merge(ReportMergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportMergeArgs {
    /// JSON reports written by `rdpgen diff --format json`.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Format of the merged report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit 0 instead of 3 when no host drifted but some checks could not be verified.
    #[arg(long)]
    pub allow_incomplete: bool,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// A built-in baseline to extend: cis-level1, cis-level2, stig, msft-baseline, break-glass.
    #[arg(long)]
    pub baseline: Option<String>,
    /// The policy name (names outputs and seeds the GPO GUID).
    #[arg(long)]
    pub name: Option<String>,
    /// The kind of host the policy is for; a workgroup host denies no local account.
    #[arg(long, value_enum)]
    pub role: Option<InitRole>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitRole {
    MemberServer,
    DomainController,
    Workgroup,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Print the schema of host snapshots instead of policies.
    #[arg(long)]
    pub snapshot: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// `security.layer`, `SecurityLayer`, `RDP030`, `0x904`, `0x904/0x7`, ...
    pub topic: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, clap::Args)]
pub struct CollectorArgs {}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// GPMC backup folders (with manifest.xml, or one {GUID} folder), SYSVOL GPO folders,
    /// Registry.pol, .reg exports, LGPO text, GptTmpl.inf, GPP Registry.xml, collector
    /// snapshots (JSON) or osquery results logs of rdpgen's pack. Several are merged in order.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    /// The host to read from an osquery results log that holds several (its
    /// `hostIdentifier`, case-insensitive).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Policy name (default: from rdpgen's firewall rules, the GPO name, or the file name).
    #[arg(long)]
    pub name: Option<String>,
    /// Write only what differs from this base (`cis-level1`, `cis-level2`, `stig`, `msft-baseline`, `break-glass`, or a path).
    #[arg(long)]
    pub extends: Option<String>,
    /// Write the policy to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit 1 when any value is not imported (no policy field covers it).
    #[arg(long)]
    pub strict: bool,
    /// When sources disagree about a value, let the later one win (with a warning) instead of
    /// failing.
    #[arg(long)]
    pub later_wins: bool,
}
