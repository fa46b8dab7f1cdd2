//! `rdpgen report merge REPORT.json...`: the JSON reports of shards of one fleet (one `diff`
//! per CI runner over a subset of the hosts) merged into one report of any format, with the
//! summary and exit status computed again over every host — as if one `diff` had run.

use std::fs;
use std::io::{self, BufWriter, Write};

use serde::Deserialize;

use crate::audit::HostReport;
use crate::audit::report::{Context, Summary};
use crate::cli::{ReportFormat, ReportMergeArgs};
use crate::exit_status::ExitStatus;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyRecord {
    name: String,
    #[serde(default)]
    file: String,
    sha256: String,
}

#[derive(Deserialize)]
struct ReportFile {
    policy: PolicyRecord,
    hosts: Vec<HostReport>,
}

/// Largest JSON report read; a shard of 10,000 hosts is about 190 MB.
const MAX_REPORT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

fn read(path: &std::path::Path) -> Result<ReportFile, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("`{}` is not a regular file", path.display()));
    }
    if meta.len() > MAX_REPORT_BYTES {
        return Err(format!("`{}` is larger than 2 GiB", path.display()));
    }
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "`{}` is not a JSON report of `rdpgen diff` (line {}, column {}): {}",
            path.display(),
            e.line(),
            e.column(),
            e.to_string().split(" at line").next().unwrap_or("")
        )
    })
}

pub fn run(args: &ReportMergeArgs, styled: bool) -> ExitStatus {
    let mut files = Vec::new();
    for path in &args.reports {
        match read(path) {
            Ok(f) => files.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitStatus::Failure;
            }
        }
    }
    let Some(first) = files.first() else {
        eprintln!("error: no reports to merge");
        return ExitStatus::Failure;
    };
    let (name, file, hash) = (
        first.policy.name.clone(),
        first.policy.file.clone(),
        first.policy.sha256.clone(),
    );
    if let Some((i, other)) = files
        .iter()
        .enumerate()
        .find(|(_, f)| f.policy.sha256 != hash)
    {
        eprintln!(
            "error: `{}` audits policy sha256:{}, `{}` sha256:{}: only reports of the same policy merge",
            args.reports[0].display(),
            &hash[..12.min(hash.len())],
            args.reports[i].display(),
            &other.policy.sha256[..12.min(other.policy.sha256.len())]
        );
        return ExitStatus::Failure;
    }
    let ctx = Context {
        policy_name: name,
        policy_description: None,
        policy_file: file,
        policy_hash: hash,
        version: env!("CARGO_PKG_VERSION"),
        report_date: super::diff::report_date(),
        field_locations: std::collections::BTreeMap::new(),
    };
    let mut report =
        super::diff::report_writer(args.format, styled && args.output.is_none(), false);
    let mut sink: Box<dyn Write> = match &args.output {
        Some(path) => match super::diff::create_output(path) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => {
                eprintln!("error: cannot create `{}`: {e}", path.display());
                return ExitStatus::Failure;
            }
        },
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut summary = Summary {
        keep_grid: args.format == ReportFormat::Html,
        ..Summary::default()
    };
    let result = (|| -> io::Result<()> {
        report.begin(&mut sink, &ctx)?;
        for host in files.iter().flat_map(|f| &f.hosts) {
            summary.add(host);
            report.host(&mut sink, host)?;
        }
        report.finish(&mut sink, &summary)?;
        sink.flush()
    })();
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
    super::diff::exit_status(&summary, args.allow_incomplete)
}
