//! `rdpgen diff POLICY HOST...`: audits host files against a policy, in parallel, streaming the
//! report host by host (in input order, so reports are reproducible), with a progress bar on a
//! terminal. Exit 0 when every host is compliant, 1 when any host drifted or is unreadable,
//! 3 when none did but some host is incomplete (0 with `--allow-incomplete`), 2 when rdpgen
//! could not run.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};

use rayon::prelude::*;

use crate::audit::compare::{Expected, audit_expected};
use crate::audit::report::{Context, Csv, Github, Html, Json, Junit, Report, Sarif, Summary, Text};
use crate::audit::{
    HostInput, HostInputs, HostReport, HostState, HostStatus, Outcome, expand_inputs, read_host,
    waiver,
};
use crate::cli::{DiffArgs, ReportFormat};
use crate::compile::{Input, compile};
use crate::diagnostic::render_text;
use crate::exit_status::ExitStatus;
use crate::model::Model;
use crate::source::Sources;

/// Hosts audited in parallel before their reports are written, in order. Up to three chunks
/// are alive at once (audited, waiting, being written): 64 hosts keep that near 10 MB, and
/// still give the two workers enough jobs to balance.
const CHUNK: usize = 64;

/// A policy and where each of its fields is set.
type Loaded = (Model, BTreeMap<String, (String, usize, usize)>);

/// Field → (file, line, column) of the value that set it, for annotations. A field a built-in
/// baseline sets points at the policy's `extends`, the line in the repository that brings it.
fn field_locations(
    merged: Option<&crate::policy::TreeNode>,
    root: Option<crate::source::FileId>,
    sources: &Sources,
) -> BTreeMap<String, (String, usize, usize)> {
    let mut out = BTreeMap::new();
    let Some(tree) = merged else { return out };
    let place = |loc: crate::source::Location| {
        let f = sources.get(loc.file);
        let (line, col) = f.line_column(loc.span.start);
        (f.name.clone(), line, col)
    };
    // The merged tree no longer holds `extends`: find its line in the named file.
    let extends = root.and_then(|id| {
        let f = sources.get(id);
        let offset = f
            .text
            .match_indices("extends:")
            .map(|(i, _)| i)
            .find(|&i| i == 0 || f.text.as_bytes()[i - 1] == b'\n')?;
        let (line, col) = f.line_column(offset);
        Some((f.name.clone(), line, col))
    });
    for (pointer, node) in tree.leaves() {
        let field: Vec<&str> = pointer
            .split('/')
            .skip(1)
            .filter(|s| s.parse::<usize>().is_err())
            .collect();
        let field = field.join(".");
        let at = place(node.location);
        let at = if at.0.starts_with("builtin:") {
            match &extends {
                Some(e) => e.clone(),
                None => continue,
            }
        } else {
            at
        };
        let section = field.split('.').next().unwrap_or("").to_string();
        out.entry(section).or_insert_with(|| at.clone());
        out.entry(field).or_insert(at);
    }
    out
}

fn load_model(args: &DiffArgs, styled: bool) -> Result<Loaded, ExitStatus> {
    let mut sources = Sources::default();
    let compiled = compile(Input::File(&args.policy), &mut sources).map_err(|e| {
        eprintln!("error: {e}");
        ExitStatus::Failure
    })?;
    let result = compiled.validated;
    if result.has_errors() {
        eprint!("{}", render_text(&result.diagnostics, &sources, styled));
        eprintln!(
            "error: `{}` is not a valid policy; fix it before auditing hosts",
            args.policy.display()
        );
        return Err(ExitStatus::Failure);
    }
    let locations = field_locations(result.merged.as_ref(), result.root, &sources);
    let model = compiled.model.ok_or(ExitStatus::Failure)?.map_err(|e| {
        eprintln!("error: {e}");
        ExitStatus::Failure
    })?;
    Ok((model, locations))
}

/// One host to audit: files to read, or a host already read from an osquery results log.
enum Job {
    Read(HostInput),
    Ready(Box<HostState>),
    Unreadable(HostInput, String),
}

/// Largest osquery results log read (a fleet's log holds every host).
const MAX_RESULTS_LOG_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// A `*.log` host file, or a file named on the command line whose first line is an osquery
/// results line (`hostIdentifier`), whatever its name.
fn is_results_log(input: &HostInput, args: &[std::path::PathBuf]) -> bool {
    if input.problem.is_some() || input.files.len() != 1 {
        return false;
    }
    let file = &input.files[0];
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("log"))
    {
        return true;
    }
    args.contains(file) && file.is_file() && first_line_is_results(file)
}

fn first_line_is_results(file: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .is_ok()
        && crate::audit::osquery::is_results_log(&String::from_utf8_lossy(&head))
}

/// The hosts to audit, in order: the inputs, where an osquery results log stands for the hosts
/// that ran the policy's pack (`pack_<name>_<query>`, one host per `hostIdentifier`). Only the
/// logs are read here; every other input becomes a [`Job`] when its chunk is audited, so the
/// list stays as compact as [`HostInputs`].
struct Jobs {
    inputs: HostInputs,
    /// The jobs of the results logs, by input index.
    logs: BTreeMap<usize, Vec<Job>>,
    /// The number of jobs.
    total: usize,
}

impl Jobs {
    fn into_iter(mut self) -> impl Iterator<Item = Job> {
        (0..self.inputs.len()).flat_map(move |i| match self.logs.remove(&i) {
            Some(jobs) => jobs,
            None => self.inputs.get(i).map(Job::Read).into_iter().collect(),
        })
    }
}

fn jobs(model: &Model, inputs: HostInputs, args: &[std::path::PathBuf]) -> Jobs {
    let mut logs = BTreeMap::new();
    for (i, input) in inputs.iter().enumerate() {
        if is_results_log(&input, args) {
            logs.insert(i, log_jobs(model, input));
        }
    }
    let total = inputs.len() - logs.len() + logs.values().map(Vec::len).sum::<usize>();
    Jobs {
        inputs,
        logs,
        total,
    }
}

/// The hosts of one osquery results log, or the one unreadable host that says why there are none.
fn log_jobs(model: &Model, input: HostInput) -> Vec<Job> {
    let file = input.files[0].display().to_string();
    let text = match crate::fsread::read_regular(&input.files[0], MAX_RESULTS_LOG_BYTES) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return vec![Job::Unreadable(input, format!("cannot read: {e}"))],
    };
    match crate::audit::osquery::read_results_log(&text, &model.name) {
        Err(e) => vec![Job::Unreadable(
            input,
            format!("{file}:{}: {}", e.line, e.message),
        )],
        Ok(hosts) if hosts.is_empty() => vec![Job::Unreadable(
            input,
            format!(
                "{file}: no results of the pack `{}` (lines named `pack_{}_<query>`); load the pack under the policy's name",
                model.name, model.name
            ),
        )],
        Ok(hosts) => hosts
            .into_iter()
            .map(|mut host| {
                host.sources.push(file.clone());
                Job::Ready(Box::new(host))
            })
            .collect(),
    }
}

fn audit_job(expected: &Expected<'_>, job: &Job) -> HostReport {
    match job {
        Job::Read(input) => match read_host(input) {
            Ok(state) => audit_expected(expected, &state),
            Err(e) => unreadable(input, e.to_string()),
        },
        Job::Ready(state) => audit_expected(expected, state),
        Job::Unreadable(input, error) => unreadable(input, error.clone()),
    }
}

/// The report of a host whose files could not be read, naming them and why.
fn unreadable(input: &HostInput, error: String) -> HostReport {
    let files = input
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    HostReport::unreadable(input.name.clone(), files, error)
}

pub fn run(args: &DiffArgs, styled: bool) -> ExitStatus {
    let (model, field_locations) = match load_model(args, styled) {
        Ok(m) => m,
        Err(status) => return status,
    };
    let local: Option<HostState> = if args.local {
        match super::live::local_host() {
            Ok(state) => Some(state),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitStatus::Failure;
            }
        }
    } else {
        None
    };
    let inputs: HostInputs = if args.local {
        HostInputs::from(vec![HostInput::default()])
    } else {
        match expand_inputs(&args.hosts) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitStatus::Failure;
            }
        }
    };
    if inputs.is_empty() {
        eprintln!("error: no host files found in the given paths (.json, .reg, .pol, .log)");
        return ExitStatus::Failure;
    }
    let inputs = jobs(&model, inputs, &args.hosts);

    // Created here so that a bad `--output` fails before any host is read; written by the
    // writer thread below.
    let file = match &args.output {
        Some(path) => match create_output(path) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("error: cannot create `{}`: {e}", path.display());
                return ExitStatus::Failure;
            }
        },
        None => None,
    };
    let color = styled && args.output.is_none();
    let ctx = Context {
        policy_name: model.name.clone(),
        policy_description: model.description.clone(),
        policy_file: args.policy.display().to_string(),
        policy_hash: model.policy_hash.clone(),
        version: env!("CARGO_PKG_VERSION"),
        report_date: report_date(),
        field_locations,
    };
    let progress = !args.no_progress && io::stderr().is_terminal();
    let total = inputs.total;
    let today = waiver::today();
    let expected = if prints_passed_text(args) {
        Expected::new(&model)
    } else {
        Expected::new(&model).without_passed_text()
    };
    // Workers audit chunk n + 1 while one thread writes chunk n: the report's serialisation
    // no longer leaves the workers idle. One chunk waits in the channel at most, so memory
    // stays bounded by three chunks.
    let (send, receive) = std::sync::mpsc::sync_channel::<Written>(1);
    let (summary, used, result) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut summary = Summary {
                keep_grid: args.format == ReportFormat::Html,
                ..Summary::default()
            };
            let mut used = vec![false; model.waivers.len()];
            let mut sink: Box<dyn Write> = match file {
                Some(f) => Box::new(BufWriter::new(f)),
                None => Box::new(BufWriter::new(io::stdout().lock())),
            };
            let mut report = report_writer(args.format, color, args.verbose);
            let result = write_report(
                &mut *sink,
                &mut *report,
                &ctx,
                &mut Tally {
                    summary: &mut summary,
                    used: &mut used,
                    waivers: &model.waivers,
                    today,
                },
                &receive,
                WriteOptions {
                    only_findings: args.only_findings,
                    progress,
                    total,
                },
            );
            // The audit stops at the next chunk when writing failed.
            drop(receive);
            (summary, used, result)
        });
        let mut jobs = inputs.into_iter();
        loop {
            let chunk: Vec<Job> = jobs.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let hosts: Vec<HostReport> = match &local {
                Some(state) => vec![audit_expected(&expected, state)],
                None => chunk
                    .par_iter()
                    .map(|job| audit_job(&expected, job))
                    .collect(),
            };
            if send.send(Written::Hosts(hosts)).is_err() {
                break;
            }
        }
        // Only this says the audit is over: if it panicked instead, `send` is dropped without
        // it and the writer leaves the report unfinished rather than closing it as complete.
        let _ = send.send(Written::Done);
        drop(send);
        writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    if progress {
        eprint!("\r\x1b[2K");
    }
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("error: cannot write the report: {e}");
            return ExitStatus::Failure;
        }
    }
    if args.output.is_some() || args.format != ReportFormat::Text {
        eprintln!("{}", summary.line());
    }
    for (w, hit) in model.waivers.iter().zip(&used) {
        if waiver::parse_day(&w.expires).is_some_and(|d| d < today) {
            eprintln!(
                "warning: the waiver for `{}` expired on {}; it no longer hides drift",
                w.field, w.expires
            );
        } else if !hit {
            eprintln!(
                "warning: the waiver for `{}` matched no failing check on any host",
                w.field
            );
        }
    }
    exit_status(&summary, args.allow_incomplete)
}

/// Whether the report prints a passing check's location, values or message: JSON and CSV
/// list every check, text only with `--verbose`; JUnit names it by its id, HTML, SARIF and
/// GitHub annotations count or skip it, and `--only-findings` leaves it out.
fn prints_passed_text(args: &DiffArgs) -> bool {
    !args.only_findings
        && match args.format {
            ReportFormat::Json | ReportFormat::Csv => true,
            ReportFormat::Text => args.verbose,
            // JUnit writes a passing check as an empty `<testcase>` named by its id.
            ReportFormat::Html
            | ReportFormat::Sarif
            | ReportFormat::Github
            | ReportFormat::Junit => false,
        }
}

/// What the audit hands the writer thread.
enum Written {
    /// The next chunk of hosts, in input order.
    Hosts(Vec<HostReport>),
    /// Every host was audited.
    Done,
}

/// What [`write_report`] does besides writing each host.
struct WriteOptions {
    only_findings: bool,
    progress: bool,
    total: usize,
}

/// What the writer counts of the hosts it reports: the summary, and which waivers matched a
/// failing check (applied here, so both cover exactly the hosts written).
struct Tally<'a> {
    summary: &'a mut Summary,
    used: &'a mut [bool],
    waivers: &'a [crate::model::Waiver],
    today: i64,
}

/// The writer thread of `diff`: the report's header, each chunk of hosts as the workers
/// finish it (in input order), the summary once the audit says it is done. A channel that
/// closes without [`Written::Done`] (the audit panicked) leaves the report unfinished.
fn write_report(
    sink: &mut dyn Write,
    report: &mut dyn Report,
    ctx: &Context,
    tally: &mut Tally<'_>,
    chunks: &std::sync::mpsc::Receiver<Written>,
    options: WriteOptions,
) -> io::Result<()> {
    report.begin(sink, ctx)?;
    let mut done = 0;
    loop {
        let hosts = match chunks.recv() {
            Ok(Written::Hosts(hosts)) => hosts,
            Ok(Written::Done) => break,
            Err(_) => {
                sink.flush()?;
                return Err(io::Error::other("the audit stopped before its last host"));
            }
        };
        done += hosts.len();
        if options.progress {
            // Clear the bar before report lines reach the same terminal, and let them out
            // before the bar is drawn again: the bar never garbles streamed text.
            eprint!("\r\x1b[2K");
        }
        for mut host in hosts {
            for (u, hit) in
                tally
                    .used
                    .iter_mut()
                    .zip(waiver::apply(&mut host, tally.waivers, tally.today))
            {
                *u |= hit;
            }
            tally.summary.add(&host);
            // --only-findings: the report is proportional to the drift, not the fleet.
            if options.only_findings {
                if host.status == HostStatus::Compliant {
                    continue;
                }
                host.checks.retain(|c| c.outcome != Outcome::Pass);
            }
            report.host(sink, &host)?;
        }
        if options.progress {
            sink.flush()?;
            let done = done.min(options.total);
            let width = 30;
            let filled = done * width / options.total;
            eprint!(
                "\r[{}{}] {done}/{} hosts",
                "#".repeat(filled),
                " ".repeat(width - filled),
                options.total
            );
        }
    }
    if options.progress {
        eprint!("\r\x1b[2K");
    }
    report.finish(sink, tally.summary)?;
    sink.flush()
}

/// The writer of one report format (also `report merge`'s).
pub(crate) fn report_writer(format: ReportFormat, color: bool, verbose: bool) -> Box<dyn Report> {
    match format {
        ReportFormat::Text => Box::new(Text { color, verbose }),
        ReportFormat::Json => Box::new(Json::default()),
        ReportFormat::Sarif => Box::new(Sarif::default()),
        ReportFormat::Junit => Box::new(Junit::default()),
        ReportFormat::Html => Box::new(Html::default()),
        ReportFormat::Csv => Box::new(Csv),
        ReportFormat::Github => Box::new(Github::default()),
    }
}

/// The file a report is written to.
/// A report file: created or truncated, never through a symbolic link at `path` (see
/// [`crate::fsread::create_no_follow`]).
pub(crate) fn create_output(path: &std::path::Path) -> io::Result<std::fs::File> {
    crate::fsread::create_no_follow(path)
}

/// Now in UTC as RFC 3339, or `SOURCE_DATE_EPOCH` when set (reproducible reports).
pub(crate) fn report_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    crate::audit::format_rfc3339(secs)
}

/// The exit-status contract of `diff` (README, "Exit status").
pub(crate) fn exit_status(summary: &Summary, allow_incomplete: bool) -> ExitStatus {
    if summary.drifted + summary.unreadable > 0 {
        ExitStatus::Problems
    } else if summary.incomplete > 0 && !allow_incomplete {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            policy_name: "p".into(),
            policy_description: None,
            policy_file: "p.yaml".into(),
            policy_hash: "00".into(),
            version: "0",
            report_date: "2026-01-01T00:00:00Z".into(),
            field_locations: BTreeMap::new(),
        }
    }

    /// Writes one chunk of one unreadable host, then `Done` or nothing (the audit panicked).
    fn write(done: bool) -> (io::Result<()>, String, Summary) {
        let (send, receive) = std::sync::mpsc::sync_channel::<Written>(2);
        let host = HostReport::unreadable("h1".into(), vec!["h1.json".into()], "bad".into());
        send.send(Written::Hosts(vec![host])).unwrap();
        if done {
            send.send(Written::Done).unwrap();
        }
        drop(send);
        let mut out = Vec::new();
        let mut summary = Summary::default();
        let mut used = Vec::new();
        let result = write_report(
            &mut out,
            &mut Json::default(),
            &context(),
            &mut Tally {
                summary: &mut summary,
                used: &mut used,
                waivers: &[],
                today: 0,
            },
            &receive,
            WriteOptions {
                only_findings: false,
                progress: false,
                total: 1,
            },
        );
        (result, String::from_utf8(out).unwrap(), summary)
    }

    /// A report is finished (its summary written, the JSON closed) only when the audit said it
    /// is done: an audit that stops half way (a panic drops the sender) leaves the report cut
    /// off and the writer reports an error, instead of a well-formed report of part of the
    /// fleet.
    #[test]
    fn the_report_is_closed_only_after_the_audit_is_done() {
        let (result, text, summary) = write(true);
        assert!(result.is_ok());
        assert_eq!(summary.hosts, 1);
        let v: serde_json::Value = serde_json::from_str(&text).expect("a complete JSON report");
        assert_eq!(v["hosts"][0]["host"], "h1");

        let (result, text, summary) = write(false);
        assert!(result.is_err());
        assert_eq!(summary.hosts, 1);
        assert!(text.contains("\"h1\""), "{text}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{text}"
        );
    }
}
