//! `rdpgen report merge REPORT.json...`: the JSON reports of shards of one fleet (one `diff`
//! per CI runner over a subset of the hosts) merged into one report of any format, with the
//! summary and exit status computed again over every host — as if one `diff` had run.
//! Reports are read twice: each is checked whole first, so a bad one stops the merge before
//! anything is written; then they are read again one at a time and each host goes to the writer
//! as it is parsed, so memory is one report's text and one host, not the fleet.

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

/// A JSON report read host by host: `hosts` is handed to `on_host` one host at a time and never
/// held whole, so a merge holds one shard's text and one host, not every shard's hosts.
struct ReportFile<'a> {
    on_host: &'a mut dyn FnMut(HostReport) -> io::Result<()>,
    /// The first failure of `on_host` (a write), kept apart from the JSON errors.
    failed: Option<io::Error>,
}

struct Hosts<'a, 'b>(&'a mut ReportFile<'b>);

impl<'de> serde::de::DeserializeSeed<'de> for Hosts<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Hosts<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(host) = seq.next_element::<HostReport>()? {
            if self.0.failed.is_none()
                && let Err(e) = (self.0.on_host)(host)
            {
                self.0.failed = Some(e);
            }
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut ReportFile<'_> {
    type Value = PolicyRecord;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<PolicyRecord, D::Error> {
        d.deserialize_struct("ReportFile", &["policy", "hosts"], self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut ReportFile<'_> {
    type Value = PolicyRecord;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct ReportFile")
    }

    /// A report written as an array (`[policy, hosts]`), which serde's derive also accepts: the
    /// same errors as before the reader streamed.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<PolicyRecord, A::Error> {
        use serde::de::Error as _;
        const EXPECTED: &str = "struct ReportFile with 2 elements";
        let policy = seq
            .next_element::<PolicyRecord>()?
            .ok_or_else(|| A::Error::invalid_length(0, &EXPECTED))?;
        seq.next_element_seed(Hosts(&mut *self))?
            .ok_or_else(|| A::Error::invalid_length(1, &EXPECTED))?;
        Ok(policy)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<PolicyRecord, A::Error> {
        use serde::de::Error as _;
        let (mut policy, mut hosts) = (None, false);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "policy" if policy.is_some() => return Err(A::Error::duplicate_field("policy")),
                "policy" => policy = Some(map.next_value::<PolicyRecord>()?),
                "hosts" if hosts => return Err(A::Error::duplicate_field("hosts")),
                "hosts" => {
                    map.next_value_seed(Hosts(&mut *self))?;
                    hosts = true;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        let policy = policy.ok_or_else(|| A::Error::missing_field("policy"))?;
        if !hosts {
            return Err(A::Error::missing_field("hosts"));
        }
        Ok(policy)
    }
}

/// Largest JSON report read; a shard of 10,000 hosts is about 190 MB.
const MAX_REPORT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Why a report could not be merged: writing the merged report failed, or the file is wrong.
enum Failure {
    Write(io::Error),
    File(String),
}

/// Reads one report, handing each host to `on_host`; returns its policy.
fn read(
    path: &std::path::Path,
    on_host: &mut dyn FnMut(HostReport) -> io::Result<()>,
) -> Result<PolicyRecord, Failure> {
    use serde::de::DeserializeSeed as _;
    let file = |m: String| Failure::File(m);
    let meta =
        fs::metadata(path).map_err(|e| file(format!("cannot read `{}`: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(file(format!("`{}` is not a regular file", path.display())));
    }
    if meta.len() > MAX_REPORT_BYTES {
        return Err(file(format!("`{}` is larger than 2 GiB", path.display())));
    }
    let text = fs::read_to_string(path)
        .map_err(|e| file(format!("cannot read `{}`: {e}", path.display())))?;
    let mut report = ReportFile {
        on_host,
        failed: None,
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let parsed = (&mut report)
        .deserialize(&mut de)
        .and_then(|policy| de.end().map(|()| policy));
    if let Some(e) = report.failed {
        return Err(Failure::Write(e));
    }
    parsed.map_err(|e| {
        file(format!(
            "`{}` is not a JSON report of `rdpgen diff` (line {}, column {}): {}",
            path.display(),
            e.line(),
            e.column(),
            e.to_string().split(" at line").next().unwrap_or("")
        ))
    })
}

pub fn run(args: &ReportMergeArgs, styled: bool) -> ExitStatus {
    // Two passes: every report is read and checked whole first (so a bad shard stops the merge
    // before anything is written), then read again host by host into the merged report.
    let mut files = Vec::new();
    for path in &args.reports {
        match read(path, &mut |_| Ok(())) {
            Ok(policy) => files.push(policy),
            Err(Failure::File(e)) => {
                eprintln!("error: {e}");
                return ExitStatus::Failure;
            }
            Err(Failure::Write(e)) => {
                eprintln!("error: {e}");
                return ExitStatus::Failure;
            }
        }
    }
    let Some(first) = files.first() else {
        eprintln!("error: no reports to merge");
        return ExitStatus::Failure;
    };
    let (name, file, hash) = (first.name.clone(), first.file.clone(), first.sha256.clone());
    if let Some((i, other)) = files.iter().enumerate().find(|(_, f)| f.sha256 != hash) {
        eprintln!(
            "error: `{}` audits policy sha256:{}, `{}` sha256:{}: only reports of the same policy merge",
            args.reports[0].display(),
            &hash[..12.min(hash.len())],
            args.reports[i].display(),
            &other.sha256[..12.min(other.sha256.len())]
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
    let result = (|| -> Result<(), Failure> {
        report.begin(&mut sink, &ctx).map_err(Failure::Write)?;
        for path in &args.reports {
            read(path, &mut |host| {
                summary.add(&host);
                report.host(&mut sink, &host)
            })?;
        }
        report.finish(&mut sink, &summary).map_err(Failure::Write)?;
        sink.flush().map_err(Failure::Write)
    })();
    let result = match result {
        Ok(()) => Ok(()),
        Err(Failure::Write(e)) => Err(e),
        // The file changed between the two passes.
        Err(Failure::File(message)) => {
            eprintln!("error: {message}");
            return ExitStatus::Failure;
        }
    };
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
